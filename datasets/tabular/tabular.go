package tabular

import (
	"fmt"
	"math"
	"strconv"
)

// Kind is what a column holds.
type Kind int

// The kinds of column.
const (
	// Auto, in Options.Kinds, asks for the kind to be inferred; a Table's
	// columns are never Auto.
	Auto Kind = iota
	// Numeric columns hold numbers.
	Numeric
	// Categorical columns hold strings from a set of levels.
	Categorical
)

// String returns "auto", "numeric" or "categorical".
func (k Kind) String() string {
	switch k {
	case Auto:
		return "auto"
	case Numeric:
		return "numeric"
	case Categorical:
		return "categorical"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Column is one column of a Table.
type Column struct {
	// Name is the column's name from the header.
	Name string
	// Kind is Numeric or Categorical.
	Kind Kind
	// Numbers holds a numeric column's values, one per row, each within
	// float32's range, NaN where the value is missing; nil for a
	// categorical column.
	Numbers []float64
	// Codes holds a categorical column's values as indices into Levels,
	// one per row, −1 where the value is missing; nil for a numeric
	// column.
	Codes []int32
	// Levels holds a categorical column's distinct values in the order
	// they first appear.
	Levels []string
	// Missing is the number of missing values.
	Missing int
}

// IsMissing reports whether the value of row i is missing.
func (c *Column) IsMissing(i int) bool {
	if c.Kind == Numeric {
		return math.IsNaN(c.Numbers[i])
	}
	return c.Codes[i] < 0
}

// Text returns the value of row i as text: the category, or the number
// formatted as strconv.FormatFloat(v, 'g', -1, 64) does; "" when missing.
func (c *Column) Text(i int) string {
	if c.IsMissing(i) {
		return ""
	}
	if c.Kind == Numeric {
		return strconv.FormatFloat(c.Numbers[i], 'g', -1, 64)
	}
	return c.Levels[c.Codes[i]]
}

// Table is the contents of a CSV file: named columns of equal length.
type Table struct {
	// Name is the file the table was read from, for messages.
	Name string
	// Columns are the table's columns, in file order.
	Columns []*Column
	// lines holds the file line each row starts on.
	lines []int32
}

// Rows returns the number of rows.
func (t *Table) Rows() int { return len(t.lines) }

// Line returns the line of the file row i starts on (the header is line
// 1, or later after blank lines).
func (t *Table) Line(i int) int { return int(t.lines[i]) }

// Names returns the column names in file order.
func (t *Table) Names() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// Index returns the position of the named column, or −1.
func (t *Table) Index(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Column returns the named column, or an error naming the file and the
// columns it has.
func (t *Table) Column(name string) (*Column, error) {
	if i := t.Index(name); i >= 0 {
		return t.Columns[i], nil
	}
	return nil, fmt.Errorf("%s: no column %q (the columns are %q)", t.Name, name, t.Names())
}

// Take returns the table of rows idx, in that order, sharing the levels
// of categorical columns. It is an error for an index to be out of range.
func (t *Table) Take(idx []int) (*Table, error) {
	n := t.Rows()
	out := &Table{Name: t.Name, Columns: make([]*Column, len(t.Columns)), lines: make([]int32, len(idx))}
	for i, j := range idx {
		if j < 0 || j >= n {
			return nil, fmt.Errorf("%s: row index %d is %d, want [0, %d)", t.Name, i, j, n)
		}
		out.lines[i] = t.lines[j]
	}
	for k, c := range t.Columns {
		nc := &Column{Name: c.Name, Kind: c.Kind, Levels: c.Levels}
		if c.Kind == Numeric {
			nc.Numbers = make([]float64, len(idx))
			for i, j := range idx {
				nc.Numbers[i] = c.Numbers[j]
			}
		} else {
			nc.Codes = make([]int32, len(idx))
			for i, j := range idx {
				nc.Codes[i] = c.Codes[j]
			}
		}
		for i := range idx {
			if nc.IsMissing(i) {
				nc.Missing++
			}
		}
		out.Columns[k] = nc
	}
	return out, nil
}

// Error is an error in a CSV file, at a line and possibly a column.
type Error struct {
	// File is the file's name.
	File string
	// Line is the line of the record (1 for the header), 0 for an error
	// about the whole file.
	Line int
	// Column is the 1-based column number, 0 when the error is about the
	// whole record; Name is the column's name from the header, if known.
	Column int
	Name   string
	// Err says what is wrong.
	Err error
}

// Error formats the error as "file:line: column N "name": what".
func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	s += ": "
	if e.Column > 0 {
		s += "column " + strconv.Itoa(e.Column)
		if e.Name != "" {
			s += " " + strconv.Quote(e.Name)
		}
		s += ": "
	}
	return s + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
