// Package pyrepr prints values as Python and numpy print them at the
// interactive prompt, so that the tutorial's output reads line for line
// like the notebook it follows: array([9, 0, 0, ..., 3, 0, 5],
// dtype=uint8), ((60000, 28, 28), (60000,)), 72.94035223214286.
package pyrepr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Numpy's defaults: arrays longer than threshold are summarised by their
// first and last edgeItems entries, and lines wrap at lineWidth.
const (
	threshold = 1000
	edgeItems = 3
	lineWidth = 75
)

// Float is repr(x) of a Python float: the shortest decimal that reads
// back as x, with ".0" for whole numbers, in scientific notation only below
// 1e-4 or from 1e16 on, as Python 3 prints it: 1234567.0, 1e+16, 1e-05,
// nan, inf.
func Float(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	// Python switches to scientific notation by the decimal exponent of
	// the shortest digits, not at Go's %g bound of 1e21 (1e6 for 'g', -1).
	mant, exp, _ := strings.Cut(strconv.FormatFloat(x, 'e', -1, 64), "e")
	e, _ := strconv.Atoi(exp)
	if x != 0 && (e < -4 || e >= 16) {
		sign := "+"
		if e < 0 {
			sign, e = "-", -e
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, e) // Python writes at least two exponent digits: 1e-05
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// Int is an integer array's repr: array([9, 2, 1, ..., 8, 1, 5]) for
// numpy's default int64, with ", dtype=..." for any other dtype (dtype ""
// or "int64" prints none), the numbers right-aligned: array([ 7, 10]).
func Int[T ~uint8 | ~int | ~int32 | ~int64](xs []T, dtype string) string {
	items := make([]string, 0, min(len(xs), 2*edgeItems+1))
	each := func(x T) { items = append(items, strconv.FormatInt(int64(x), 10)) }
	if len(xs) > threshold {
		for _, x := range xs[:edgeItems] {
			each(x)
		}
		items = append(items, "...")
		for _, x := range xs[len(xs)-edgeItems:] {
			each(x)
		}
	} else {
		for _, x := range xs {
			each(x)
		}
	}
	// Numpy right-aligns the numbers it shows to the widest of them.
	width := 0
	for _, it := range items {
		if it != "..." {
			width = max(width, len(it))
		}
	}
	for i, it := range items {
		if it != "..." {
			items[i] = strings.Repeat(" ", width-len(it)) + it
		}
	}
	if dtype == "int64" {
		dtype = ""
	}
	return wrap(items, dtype)
}

// Float32 is a float32 array's repr as numpy (1.x) prints model outputs
// such as predictions[0]. Numpy finds the most fraction digits any finite
// value's shortest round-tripping decimal needs, at most eight; in
// scientific notation — used when the finite values span more than three
// orders of magnitude or one is below 1e-4 — it rounds every value to that
// many digits, and in fixed notation it prints each value's shortest
// decimal padded with spaces to that width, its integer part always in
// full (94616992., where repr of the float32 alone is 94616990.0). Every
// value is padded on the left to the widest integer part (a sign counts),
// nan, inf and -inf to the whole width. Lines wrap at 75 columns;
// ", dtype=float32" ends the repr.
func Float32(xs []float32) string { return wrap(float32Items(xs), "float32") }

// Float32Str is what numpy's print (str) writes for a float32 array: the
// values of Float32, separated by spaces in brackets, lines wrapped at 75
// columns under the first value: [3.5748989e-04 7.9700426e-04 ...].
func Float32Str(xs []float32) string { return wrapStr(float32Items(xs)) }

// float32Items formats each value of xs as numpy's array printing does
// (see Float32).
func float32Items(xs []float32) []string {
	finite := func(x float32) bool { return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) }
	var lo, hi float64
	for _, x := range xs {
		a := abs(float64(x))
		if !finite(x) {
			continue
		}
		if a != 0 && (lo == 0 || a < lo) {
			lo = a
		}
		hi = max(hi, a)
	}
	// Numpy divides the largest by the smallest in float32: 6369.98 over
	// 6.36998 is 1000.00002 in float64 but 1000 in float32, positional.
	sci := lo != 0 && (lo < 1e-4 || float32(float32(hi)/float32(lo)) > 1e3 || hi >= 1e8)
	f, most := byte('f'), 8 // numpy's precision: eight fraction digits in either notation
	if sci {
		f = 'e'
	}
	items := make([]string, len(xs))
	frac := 0
	for i, x := range xs {
		if !finite(x) {
			continue
		}
		items[i] = strconv.FormatFloat(float64(x), f, -1, 32)
		if !sci && abs(float64(x)) >= 1<<24 {
			// A whole number past float32's last odd integer: the shortest
			// decimal ends in zeros (94616990), but numpy's positional
			// mode prints every digit down to the units (94616992).
			items[i] = strconv.FormatFloat(float64(x), 'f', 0, 32)
		}
		if digits(items[i]) > most {
			// Rounded to most digits, less the zeros that leaves at
			// the end: 0.053930703 prints as 0.0539307.
			items[i] = trimZeros(strconv.FormatFloat(float64(x), f, most, 32))
		}
		frac = max(frac, digits(items[i]))
	}
	// Numpy's pad_left (the widest integer part) and pad_right (the
	// fraction digits, and in scientific notation the exponent).
	padLeft, padRight := 0, frac
	if sci {
		padRight = frac + 4 // e+05
	}
	nonFinite, negInf := false, false
	for i, x := range xs {
		if !finite(x) {
			nonFinite = true
			negInf = negInf || math.IsInf(float64(x), -1)
			continue
		}
		if sci {
			mant, exp, _ := strings.Cut(strconv.FormatFloat(float64(x), 'e', frac, 32), "e")
			if frac == 0 {
				mant += "."
			}
			items[i] = mant + "e" + exp
		} else {
			s := items[i]
			n := frac - digits(s)
			if !strings.Contains(s, ".") {
				s += "."
			}
			items[i] = s + strings.Repeat(" ", n)
		}
		whole, _, _ := strings.Cut(items[i], ".")
		padLeft = max(padLeft, len(whole))
	}
	if nonFinite {
		infLen := len("inf")
		if negInf {
			infLen++
		}
		padLeft = max(padLeft, len("nan")-(padRight+1), infLen-(padRight+1))
	}
	for i, x := range xs {
		s := items[i]
		switch {
		case math.IsNaN(float64(x)):
			s = "nan"
		case math.IsInf(float64(x), 1):
			s = "inf"
		case math.IsInf(float64(x), -1):
			s = "-inf"
		default:
			whole, _, _ := strings.Cut(s, ".")
			items[i] = strings.Repeat(" ", padLeft-len(whole)) + s
			continue
		}
		items[i] = strings.Repeat(" ", max(padLeft+padRight+1-len(s), 0)) + s
	}
	return items
}

// trimZeros removes the zeros that end a formatted number's fraction
// (before any exponent), keeping the point: 0.05393070 is 0.0539307, 2.00
// is 2.
func trimZeros(s string) string {
	mant, exp, hasExp := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		return s
	}
	mant = strings.TrimRight(mant, "0")
	if hasExp {
		return mant + "e" + exp
	}
	return mant
}

// digits counts the fraction digits of a formatted number: those after
// the point and before any exponent.
func digits(s string) int {
	_, frac, ok := strings.Cut(s, ".")
	if !ok {
		return 0
	}
	frac, _, _ = strings.Cut(frac, "e")
	return len(frac)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// wrap joins items as numpy's array repr does: array([...]) in lines of
// at most lineWidth columns, continuation lines indented under the first
// item, and ", dtype=..." (dtype "" for none) after the bracket, on a line
// of its own when it would make the last line too long. It follows
// numpy's _formatArray: a word is wrapped when the line so far (its
// separator included) and the word exceed the width less one for the
// suffix and one for the bracket.
func wrap(items []string, dtype string) string {
	body := "array([" + lines(items, "       ", ", ", lineWidth-1-1) + "]" // indented under "array(["
	if dtype == "" {
		return body + ")"
	}
	body += ","
	last := len(body) - (strings.LastIndexByte(body, '\n') + 1)
	dt := "dtype=" + dtype + ")"
	if last+len(dt)+1 > lineWidth {
		return body + "\n      " + dt // under "array("
	}
	return body + " " + dt
}

// wrapStr joins items as numpy's str of an array does: [...] with the
// items separated by spaces, in lines of at most lineWidth columns,
// continuation lines indented by one under the first item. As in wrap, a
// word is wrapped when the line so far and the word exceed the width less
// one for the bracket.
func wrapStr(items []string) string {
	return "[" + lines(items, " ", " ", lineWidth-1) + "]" // indented under "["
}

// lines joins items with sep into lines: a new line, indented by indent,
// starts where the line so far and the next item would exceed width. The
// first line is returned without its indent, which the caller's opening
// text stands in for.
func lines(items []string, indent, sep string, width int) string {
	var b strings.Builder
	line := indent
	for i, it := range items {
		if len(line)+len(it) > width && len(line) > len(indent) {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		line += it
		if i < len(items)-1 {
			line += sep
		}
	}
	b.WriteString(line)
	return b.String()[len(indent):]
}

// Strings is a list of strings' repr: ['T-shirt/top', 'Trouser'].
func Strings(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = str(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// str is a Python string's repr: in single quotes, or in double quotes
// when it holds a single quote and no double one ("it's"), with
// backslashes, the quote, \t, \n, \r and what is not printable escaped.
func str(s string) string {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// Tuple is a tuple's repr, its items already printed: (a, b), and (a,)
// for one item.
func Tuple(items ...string) string {
	if len(items) == 1 {
		return "(" + items[0] + ",)"
	}
	return "(" + strings.Join(items, ", ") + ")"
}

// Shape is a numpy shape's repr, a tuple of ints: (60000, 28, 28).
func Shape(dims []int) string {
	items := make([]string, len(dims))
	for i, d := range dims {
		items[i] = fmt.Sprint(d)
	}
	return Tuple(items...)
}
