// Package pyrepr prints values as Python and numpy print them at the
// interactive prompt, so that the tutorial's output reads line for line
// like the notebook it follows: array([9, 0, 0, ..., 3, 0, 5],
// dtype=uint8), ((60000, 28, 28), (60000,)), 72.94035223214286.
package pyrepr

import (
	"fmt"
	"strconv"
	"strings"
)

// Numpy's defaults: arrays longer than threshold are summarised by their
// first and last edgeItems entries, and lines wrap at lineWidth.
const (
	threshold = 1000
	edgeItems = 3
	lineWidth = 75
)

// Float is repr(x) of a Python float: the shortest decimal that reads
// back as x, with ".0" for whole numbers, as Python 3 prints it.
func Float(x float64) string {
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if strings.ContainsAny(s, "e") {
		mant, exp, _ := strings.Cut(s, "e")
		if exp[0] == '+' {
			exp = exp[1:]
		}
		if len(exp) == 2 && exp[0] == '-' {
			exp = "-0" + exp[1:] // Python writes at least two exponent digits: 1e-05
		} else if len(exp) == 1 {
			exp = "0" + exp
		}
		sign := "+"
		if exp[0] == '-' {
			sign, exp = "-", exp[1:]
		}
		return mant + "e" + sign + exp
	}
	if !strings.ContainsAny(s, ".") && !strings.ContainsAny(s, "nI") {
		s += ".0"
	}
	return s
}

// Int is an integer array's repr: array([9, 2, 1, ..., 8, 1, 5]) for
// numpy's default int64, with ", dtype=..." for any other dtype (dtype ""
// or "int64" prints none).
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
	suffix := ""
	if dtype != "" && dtype != "int64" {
		suffix = ", dtype=" + dtype
	}
	return wrap(items, suffix)
}

// Float32 is a float32 array's repr as numpy (1.x) prints model outputs
// such as predictions[0]. Numpy finds the most fraction digits any value's
// shortest round-tripping decimal needs, at most eight; in scientific
// notation — used when the values span more than three orders of magnitude
// or one is below 1e-4 — it rounds every value to that many digits, and in
// fixed notation it prints each value's shortest decimal padded with
// spaces to that width. Lines wrap at 75 columns; ", dtype=float32" ends
// the repr.
func Float32(xs []float32) string {
	var lo, hi float64
	for _, x := range xs {
		a := abs(float64(x))
		if a != 0 && (lo == 0 || a < lo) {
			lo = a
		}
		hi = max(hi, a)
	}
	sci := lo != 0 && (lo < 1e-4 || hi/lo > 1e3 || hi >= 1e8)
	f, most := byte('f'), 8
	if sci {
		f, most = 'e', 7 // eight significant digits
	}
	items := make([]string, len(xs))
	frac := 0
	for i, x := range xs {
		items[i] = strconv.FormatFloat(float64(x), f, -1, 32)
		if digits(items[i]) > most {
			items[i] = strconv.FormatFloat(float64(x), f, most, 32)
		}
		frac = max(frac, digits(items[i]))
	}
	for i, x := range xs {
		if sci {
			mant, exp, _ := strings.Cut(strconv.FormatFloat(float64(x), 'e', frac, 32), "e")
			if frac == 0 {
				mant += "."
			}
			items[i] = mant + "e" + exp
			continue
		}
		s := items[i]
		n := frac - digits(s)
		if !strings.Contains(s, ".") {
			s += "."
		}
		items[i] = s + strings.Repeat(" ", n)
	}
	return wrap(items, ", dtype=float32")
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

// wrap joins items as array([...]) lines of at most lineWidth columns,
// continuation lines indented under the first item, as numpy does.
func wrap(items []string, suffix string) string {
	const open, indent = "array([", "       "
	var b strings.Builder
	b.WriteString(open)
	col := len(open)
	for i, it := range items {
		sep := ""
		if i > 0 {
			sep = " "
			if col+len(sep)+len(it)+1 > lineWidth { // +1 for the comma
				b.WriteString("\n" + indent)
				col, sep = len(indent), ""
			}
		}
		b.WriteString(sep + it)
		col += len(sep) + len(it)
		if i < len(items)-1 {
			b.WriteByte(',')
			col++
		}
	}
	b.WriteString("]" + suffix + ")")
	return b.String()
}

// Strings is a list of strings' repr: ['T-shirt/top', 'Trouser'].
func Strings(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "'" + strings.ReplaceAll(strings.ReplaceAll(x, `\`, `\\`), "'", `\'`) + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
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
