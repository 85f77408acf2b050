// Package jsoncount counts the values of a JSON text before it is decoded.
// Decoded, a small value costs far more than its bytes — "{}" or "" take
// 100 to 150 bytes in Go, a number a float64 and more — so that a reader
// of untrusted JSON bounds what decoding may cost by counting first, in
// one pass that allocates nothing.
package jsoncount

// Counts are the values of a JSON text.
type Counts struct {
	Numbers    int // runs outside strings that start with a digit or a minus sign
	Strings    int // strings, object keys included
	Literals   int // true, false and null
	Containers int // arrays and objects
}

// Count counts the values in b. It does not check that b is valid JSON
// (the decoder does, after): for any text it counts what a valid one of
// the same bytes would hold.
func Count(b []byte) Counts {
	var c Counts
	inString, escaped, inWord := false, false, false
	for _, ch := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
			continue
		case inWord:
			// the rest of a number or a literal
			if ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch == '.' || ch == 'E' || ch == '+' || ch == '-' {
				continue
			}
			inWord = false
		}
		switch {
		case ch == '"':
			inString = true
			c.Strings++
		case ch == '{' || ch == '[':
			c.Containers++
		case ch >= '0' && ch <= '9' || ch == '-':
			inWord = true
			c.Numbers++
		case ch >= 'a' && ch <= 'z':
			inWord = true
			c.Literals++
		}
	}
	return c
}
