package serve

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// scanNumbers walks the "data" of a request input of the shape — a JSON
// array of numbers, flat or nested at most len(shape) arrays deep, in
// row-major order as the protocol has it — and calls visit with each
// number's index and text. It stops with an error at anything but a
// number, at more numbers than the shape holds, at malformed JSON, and at
// a nested array of the wrong length: an array at depth d (the outermost
// is 1) holding arrays must hold shape[d-1] of them, and one below the
// outermost holding numbers must hold those of shape[d-1:] (the caller
// checks the count of a flat array). It returns the count of numbers. An
// error about a number (visit's among them) or a nested array starts
// "data[i]" (data[i][j] for an array nested two deep).
//
// It reads raw in place and allocates nothing for a shape of up to 7
// dimensions, so a request of thousands of numbers costs no more than its
// parsing.
func scanNumbers(raw []byte, shape []int64, visit func(i int, tok []byte) error) (int, error) {
	const (
		wantValue = iota // after '[' : a value or ']'
		wantMore         // after a value: ',' or ']'
		wantNext         // after ',': a value
	)
	limit := int64(1)
	for _, d := range shape {
		limit *= d
	}
	// arrays[d] is the array open at depth d: its count of elements so
	// far, and what they are.
	var stack [8]array
	arrays := stack[:]
	if len(shape) >= len(stack) {
		arrays = make([]array, len(shape)+1)
	}
	p := skipSpace(raw, 0)
	if p == len(raw) || raw[p] != '[' {
		return 0, errors.New("want an array of numbers")
	}
	depth, n, state := 0, 0, wantValue
	for p < len(raw) {
		c := raw[p]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p++
		case c == '[':
			if state == wantMore {
				return n, errors.New("malformed array: want ',' or ']' before '['")
			}
			if depth == len(shape) {
				return n, fmt.Errorf("arrays nested %d deep: the shape has %d dimensions", depth+1, len(shape))
			}
			if depth > 0 {
				if err := add(arrays[1:depth+1], true); err != nil {
					return n, err
				}
			}
			depth++
			arrays[depth] = array{}
			state = wantValue
			p++
		case c == ']':
			if state == wantNext {
				return n, errors.New("malformed array: a value must follow ','")
			}
			if err := checkLength(arrays[1:depth+1], shape[depth-1:]); err != nil {
				return n, err
			}
			depth--
			state = wantMore
			p++
			if depth == 0 {
				if skipSpace(raw, p) != len(raw) {
					return n, errors.New("malformed array: text after its end")
				}
				return n, nil
			}
		case c == ',':
			if state != wantMore {
				return n, errors.New("malformed array: ',' without a value before it")
			}
			state = wantNext
			p++
		case c == '-' || ('0' <= c && c <= '9'):
			if state == wantMore {
				return n, errors.New("malformed array: want ',' or ']' between values")
			}
			end := p + 1
			for end < len(raw) && isNumberByte(raw[end]) {
				end++
			}
			if int64(n) == limit {
				return n, fmt.Errorf("more than the %d values the shape holds", limit)
			}
			if err := add(arrays[1:depth+1], false); err != nil {
				return n, err
			}
			if err := visit(n, raw[p:end]); err != nil {
				return n, fmt.Errorf("data[%d]: %w", n, err)
			}
			n++
			state = wantMore
			p = end
		default:
			return n, fmt.Errorf("data[%d]: want a number, found %s", n, tokenAt(raw[p:]))
		}
	}
	return n, errors.New("malformed array: it does not end")
}

// array is one open array of a request's data: how many elements it has
// so far, and whether they are arrays or numbers.
type array struct {
	n               int
	arrays, numbers bool
}

// add counts an element, an array or a number, of the innermost of the
// open arrays path (outermost first); an array mixing the two is an
// error.
func add(path []array, isArray bool) error {
	a := &path[len(path)-1]
	if isArray && a.numbers || !isArray && a.arrays {
		return fmt.Errorf("%smixes numbers and arrays", where(path))
	}
	a.n++
	a.arrays, a.numbers = isArray, !isArray
	return nil
}

// checkLength checks the length of the innermost of the arrays path as it
// closes, dims being the shape's dimensions from its depth on: dims[0]
// arrays, or, below the outermost array, all the numbers of dims.
func checkLength(path []array, dims []int64) error {
	a := path[len(path)-1]
	switch {
	case a.arrays && int64(a.n) != dims[0]:
		return fmt.Errorf("%s%d arrays; want %d", where(path), a.n, dims[0])
	case !a.arrays && len(path) > 1:
		want := int64(1)
		for _, d := range dims {
			want *= d
		}
		if int64(a.n) != want {
			return fmt.Errorf("%s%d values; want %d", where(path), a.n, want)
		}
	}
	return nil
}

// where names the innermost of the arrays path, "data[0][1]: ", by the
// index of each in its parent (the parent's count of elements so far,
// less one); it is empty for the outermost array, data itself.
func where(path []array) string {
	if len(path) == 1 {
		return ""
	}
	var b strings.Builder
	b.WriteString("data")
	for _, a := range path[:len(path)-1] {
		fmt.Fprintf(&b, "[%d]", a.n-1)
	}
	b.WriteString(": ")
	return b.String()
}

func skipSpace(b []byte, p int) int {
	for p < len(b) && (b[p] == ' ' || b[p] == '\t' || b[p] == '\n' || b[p] == '\r') {
		p++
	}
	return p
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

// tokenAt returns the JSON value that starts b, shortened, for an error
// message: a string with its quotes, or what comes before the next
// delimiter.
func tokenAt(b []byte) string {
	end := 0
	if len(b) > 0 && b[0] == '"' {
		end = 1
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' {
				end++
			}
			end++
		}
		end = min(end+1, len(b))
	} else {
		for end < len(b) && !strings.ContainsRune(",]} \t\r\n", rune(b[end])) {
			end++
		}
		end = max(end, min(1, len(b)))
	}
	return shown(b[:end])
}

// shown is a token for an error message: at most 24 bytes, valid UTF-8,
// control characters replaced.
func shown(tok []byte) string {
	s, cut := string(tok), ""
	if len(s) > 24 {
		s, cut = s[:24], "…"
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '\uFFFD'
		}
		return r
	}, s) + cut
}

// parseFP32 reads one FP32 element: a finite JSON number within float32's
// range, rounded to float32.
func parseFP32(tok []byte) (float32, error) {
	if !jsonNumber(tok) {
		return 0, fmt.Errorf("%s is not a JSON number", shown(tok))
	}
	v, err := strconv.ParseFloat(string(tok), 32)
	if err != nil || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s is outside the FP32 range", shown(tok))
	}
	return float32(v), nil
}

// parseUint8 reads one UINT8 element: an integer from 0 to 255.
func parseUint8(tok []byte) (uint8, error) {
	v := 0
	for _, c := range tok {
		if c < '0' || c > '9' || v > 255 {
			v = 256
			break
		}
		v = v*10 + int(c-'0')
	}
	if len(tok) == 0 || v > 255 || (len(tok) > 1 && tok[0] == '0') {
		return 0, fmt.Errorf("%s is not a UINT8: want an integer from 0 to 255", shown(tok))
	}
	return uint8(v), nil
}

// jsonNumber reports whether tok is a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumber(tok []byte) bool {
	p := 0
	if p < len(tok) && tok[p] == '-' {
		p++
	}
	switch {
	case p < len(tok) && tok[p] == '0':
		p++
	case p < len(tok) && '1' <= tok[p] && tok[p] <= '9':
		p = digits(tok, p)
	default:
		return false
	}
	if p < len(tok) && tok[p] == '.' {
		start := p + 1
		if p = digits(tok, start); p == start {
			return false
		}
	}
	if p < len(tok) && (tok[p] == 'e' || tok[p] == 'E') {
		p++
		if p < len(tok) && (tok[p] == '+' || tok[p] == '-') {
			p++
		}
		start := p
		if p = digits(tok, p); p == start {
			return false
		}
	}
	return p == len(tok)
}

// digits returns the end of the run of ASCII digits in tok from p.
func digits(tok []byte, p int) int {
	for p < len(tok) && '0' <= tok[p] && tok[p] <= '9' {
		p++
	}
	return p
}
