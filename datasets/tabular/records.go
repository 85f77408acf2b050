package tabular

import (
	"bufio"
	"fmt"
	"io"
)

// records splits CSV text (RFC 4180: fields separated by a delimiter,
// optionally in double quotes, "" for a quote inside quotes, line breaks
// inside quotes, \n or \r\n line ends, or \r alone as classic Mac OS and
// Excel's "CSV (Macintosh)" end lines, which pandas reads too) into
// records, never holding more than maxBytes bytes of one record or
// maxFields fields.
type records struct {
	br        *bufio.Reader
	comma     byte
	maxBytes  int
	maxFields int

	line   int      // the line the next byte is on
	buf    []byte   // the current record's field bytes
	ends   []int    // end of each field in buf
	fields []string // reused between records
}

// newRecords returns the records of r, skipping a UTF-8 byte-order mark
// at its start (Excel's "CSV UTF-8" writes one) before any field is split,
// so that a quoted first field is read as quoted.
func newRecords(r io.Reader, comma byte, maxBytes, maxFields int) *records {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(len(bom)); err == nil && string(b) == bom {
		br.Discard(len(bom))
	}
	return &records{br: br, comma: comma, maxBytes: maxBytes, maxFields: maxFields, line: 1}
}

// bom is the UTF-8 encoding of U+FEFF, the byte-order mark.
const bom = "\uFEFF"

// next returns the next record's fields (valid until the following call)
// and the line it starts on, skipping blank lines; io.EOF after the last.
// Errors are *Error values naming the line.
func (r *records) next() (fields []string, line int, err error) {
	// Skip blank lines.
	for {
		b, err := r.br.ReadByte()
		if err == io.EOF {
			return nil, r.line, io.EOF
		}
		if err != nil {
			return nil, r.line, &Error{Line: r.line, Err: err}
		}
		if b == '\n' {
			r.line++
			continue
		}
		if b == '\r' {
			if !r.followedBy('\n') { // else the \n ends the line
				r.line++ // a line ended by \r alone
			}
			continue
		}
		r.br.UnreadByte()
		break
	}
	start := r.line
	r.buf, r.ends = r.buf[:0], r.ends[:0]
	size := 0
	fail := func(format string, args ...any) ([]string, int, error) {
		return nil, start, &Error{Line: start, Err: fmt.Errorf(format, args...)}
	}
	for {
		// One field.
		if len(r.ends) >= r.maxFields {
			return fail("more than %d fields (Options.MaxColumns)", r.maxFields)
		}
		b, err := r.br.ReadByte()
		quoted := err == nil && b == '"'
		if err == nil && !quoted {
			r.br.UnreadByte()
		}
		quoteLine := r.line
		endOfRecord := false
		for {
			b, err := r.br.ReadByte()
			if err == io.EOF {
				if quoted {
					return fail("the quoted field %d opened on line %d never closes", len(r.ends)+1, quoteLine)
				}
				endOfRecord = true
				break
			}
			if err != nil {
				return nil, start, &Error{Line: r.line, Err: err}
			}
			if size++; size > r.maxBytes {
				return fail("record longer than %d bytes (Options.MaxLineBytes)", r.maxBytes)
			}
			if quoted {
				if b == '"' {
					nb, err := r.br.Peek(1)
					if err == nil && nb[0] == '"' {
						r.br.ReadByte()
						size++
						r.buf = append(r.buf, '"')
						continue
					}
					quoted = false // the closing quote: what follows must end the field
					if err == nil && nb[0] != r.comma && nb[0] != '\n' && nb[0] != '\r' {
						return fail("field %d: %q after its closing quote, want %q or the end of the line", len(r.ends)+1, nb[0], r.comma)
					}
					continue
				}
				if b == '\n' || b == '\r' && !r.followedBy('\n') {
					r.line++
				}
				r.buf = append(r.buf, b)
				continue
			}
			if b == r.comma {
				break
			}
			if b == '\n' {
				r.line++
				endOfRecord = true
				break
			}
			if b == '\r' {
				if r.followedBy('\n') {
					continue // the \n ends the record
				}
				r.line++ // \r alone ends it
				endOfRecord = true
				break
			}
			r.buf = append(r.buf, b)
		}
		r.ends = append(r.ends, len(r.buf))
		if endOfRecord {
			break
		}
	}
	r.fields = r.fields[:0]
	s := string(r.buf) // one allocation per record; fields share it
	prev := 0
	for _, e := range r.ends {
		r.fields = append(r.fields, s[prev:e])
		prev = e
	}
	return r.fields, start, nil
}

// followedBy reports whether the next byte is c.
func (r *records) followedBy(c byte) bool {
	nb, err := r.br.Peek(1)
	return err == nil && nb[0] == c
}
