package tabular

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MissingPolicy says what ReadCSV does with a missing value.
type MissingPolicy int

// The missing-value policies.
const (
	// MissingError makes the first missing value an error naming its line
	// and column.
	MissingError MissingPolicy = iota
	// MissingKeep keeps missing values: NaN in a numeric column, code −1
	// in a categorical one, counted in Column.Missing.
	MissingKeep
)

// The default limits; see Options.
const (
	DefaultMaxLineBytes  = 1 << 20
	DefaultMaxColumns    = 10_000
	DefaultMaxRows       = 10_000_000
	DefaultMaxCells      = 25_000_000
	DefaultMaxCategories = 100_000
)

// DefaultMissingValues are the fields that mean a missing value when
// Options.MissingValues is nil: an empty field, "NA" (R and pandas) and
// "?" (the UCI repository's files).
func DefaultMissingValues() []string { return []string{"", "NA", "?"} }

// Options configures ReadCSV. The zero value infers every column's kind,
// refuses missing values and applies the default limits.
type Options struct {
	// Kinds declares the kind of the named columns; the others are
	// inferred. It is an error to name a column the header lacks.
	Kinds map[string]Kind
	// MissingValues are the fields, after trimming surrounding spaces,
	// that mean a missing value. Nil means DefaultMissingValues(); an
	// empty, non-nil slice means none.
	MissingValues []string
	// Missing says whether a missing value is an error (the default) or
	// kept.
	Missing MissingPolicy
	// Comma is the field delimiter, ',' when zero. It must be an ASCII
	// character other than a quote, \r or \n.
	Comma rune
	// Limits; zero means the default. MaxLineBytes bounds one record's
	// bytes (quoted line breaks included), MaxColumns the header's
	// fields, MaxRows the data rows, MaxCells rows × columns, and
	// MaxCategories the distinct values of one categorical column.
	MaxLineBytes, MaxColumns, MaxRows, MaxCells, MaxCategories int
}

func (o *Options) defaults() error {
	if o.MissingValues == nil {
		o.MissingValues = DefaultMissingValues()
	}
	if o.Comma == 0 {
		o.Comma = ','
	}
	if o.Comma >= utf8.RuneSelf || o.Comma == '"' || o.Comma == '\r' || o.Comma == '\n' {
		return fmt.Errorf("Options.Comma is %q, want an ASCII delimiter other than a quote or a line break", o.Comma)
	}
	for _, l := range []struct {
		v   *int
		def int
		key string
	}{
		{&o.MaxLineBytes, DefaultMaxLineBytes, "MaxLineBytes"},
		{&o.MaxColumns, DefaultMaxColumns, "MaxColumns"},
		{&o.MaxRows, DefaultMaxRows, "MaxRows"},
		{&o.MaxCells, DefaultMaxCells, "MaxCells"},
		{&o.MaxCategories, DefaultMaxCategories, "MaxCategories"},
	} {
		if *l.v < 0 {
			return fmt.Errorf("Options.%s is %d, want a positive limit or 0 for the default", l.key, *l.v)
		}
		if *l.v == 0 {
			*l.v = l.def
		}
	}
	for _, name := range slices.Sorted(maps.Keys(o.Kinds)) { // the same error every run
		if k := o.Kinds[name]; k < Auto || k > Categorical {
			return fmt.Errorf("Options.Kinds[%q] is %v, want Auto, Numeric or Categorical", name, k)
		}
	}
	return nil
}

// ReadCSVFile reads the CSV file at path; see ReadCSV.
func ReadCSVFile(path string, opts Options) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // names the path
	}
	defer f.Close()
	return ReadCSV(f, path, opts)
}

// ReadCSV reads a table from r, a CSV text with a header line; name is the
// file name that errors and the Table carry. See the package
// documentation for the rules and limits.
func ReadCSV(r io.Reader, name string, opts Options) (*Table, error) {
	b, recs, line, err := readHeader(r, name, &opts)
	if err != nil {
		return nil, err
	}
	if err := b.declare(line); err != nil {
		return nil, err
	}
	for {
		fields, line, err := recs.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, b.wrap(err)
		}
		if err := b.row(fields, line); err != nil {
			return nil, err
		}
	}
	return b.finish()
}

// ReadHeader reads only the header line of the CSV text r and returns the
// column names as ReadCSV names them (a byte-order mark and spaces
// trimmed, an empty name called "Unnamed: i" as pandas calls it), under
// the same delimiter and limits; opts.Kinds is not checked against it.
func ReadHeader(r io.Reader, name string, opts Options) ([]string, error) {
	opts.Kinds = nil
	b, _, _, err := readHeader(r, name, &opts)
	if err != nil {
		return nil, err
	}
	return b.names(), nil
}

// readHeader checks opts, reads the header line of r and names the
// columns of a new builder; it returns the records that follow and the
// header's line number.
func readHeader(r io.Reader, name string, opts *Options) (*builder, *records, int, error) {
	if err := opts.defaults(); err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %w", name, err)
	}
	b := &builder{opts: opts, name: name}
	recs := newRecords(r, byte(opts.Comma), opts.MaxLineBytes, opts.MaxColumns)
	if err := notText(recs.br); err != nil {
		return nil, nil, 0, &Error{File: name, Err: err}
	}
	header, line, err := recs.next()
	if err == io.EOF {
		return nil, nil, 0, &Error{File: name, Err: errors.New("empty file, want a header line naming the columns")}
	}
	if err != nil {
		return nil, nil, 0, b.wrap(err)
	}
	if err := b.columns(header, line); err != nil {
		return nil, nil, 0, err
	}
	return b, recs, line, nil
}

// builder accumulates a table row by row.
type builder struct {
	opts    *Options
	name    string
	t       Table
	missing map[string]bool
	cols    []*colState
}

// colState is a column being read.
type colState struct {
	*Column
	declared  Kind
	levels    map[string]int32
	firstLine int    // line of the value that set an inferred kind
	firstText string // that value
	missingAt int    // line of the first missing value
}

func (b *builder) wrap(err error) error {
	var e *Error
	if errors.As(err, &e) {
		e.File = b.name
		return e
	}
	return &Error{File: b.name, Err: err}
}

func (b *builder) fail(line, col int, format string, args ...any) error {
	e := &Error{File: b.name, Line: line, Column: col + 1, Err: fmt.Errorf(format, args...)}
	if col >= 0 && col < len(b.cols) {
		e.Name = b.cols[col].Name
	}
	if col < 0 {
		e.Column = 0
	}
	return e
}

// declare gives the columns the kinds Options declares for them (the
// header, at line, named them) and sets up the missing-value markers.
func (b *builder) declare(line int) error {
	names := b.names()
	for _, name := range slices.Sorted(maps.Keys(b.opts.Kinds)) { // the same error every run
		k := b.opts.Kinds[name]
		i := slices.Index(names, name)
		if i < 0 {
			return &Error{File: b.name, Line: line, Err: fmt.Errorf("Options.Kinds names column %q, which the header lacks (it has %q)", name, names)}
		}
		c := b.cols[i]
		c.declared, c.Kind = k, k
	}
	b.missing = make(map[string]bool, len(b.opts.MissingValues))
	for _, m := range b.opts.MissingValues {
		b.missing[strings.TrimSpace(m)] = true
	}
	return nil
}

// columns names a column for each field of the header line.
func (b *builder) columns(fields []string, line int) error {
	seen := make(map[string]int, len(fields))
	for i, f := range fields {
		if !utf8.ValidString(f) {
			return b.fail(line, i, "the header's name is not valid UTF-8")
		}
		f = strings.TrimSpace(f)
		if f == "" {
			f = fmt.Sprintf("Unnamed: %d", i) // pandas's name for an unnamed column
		}
		if j, ok := seen[f]; ok {
			return &Error{File: b.name, Line: line, Column: i + 1, Name: f, Err: fmt.Errorf("the header repeats the name of column %d", j+1)}
		}
		seen[f] = i
		b.cols = append(b.cols, &colState{Column: &Column{Name: strings.Clone(f)}})
	}
	return nil
}

func (b *builder) names() []string {
	names := make([]string, len(b.cols))
	for i, c := range b.cols {
		names[i] = c.Name
	}
	return names
}

func (b *builder) row(fields []string, line int) error {
	n := len(b.cols)
	if len(fields) != n {
		return b.fail(line, -1, "%d fields, want %d as in the header (a ragged row)", len(fields), n)
	}
	rows := len(b.t.lines)
	if rows >= b.opts.MaxRows {
		return b.fail(line, -1, "more than %d rows (Options.MaxRows)", b.opts.MaxRows)
	}
	if (rows+1)*n > b.opts.MaxCells {
		return b.fail(line, -1, "more than %d cells (Options.MaxCells)", b.opts.MaxCells)
	}
	b.t.lines = append(b.t.lines, int32(min(line, math.MaxInt32)))
	for i, f := range fields {
		if !utf8.ValidString(f) {
			return b.fail(line, i, "the value is not valid UTF-8")
		}
		if err := b.cell(b.cols[i], i, strings.TrimSpace(f), line); err != nil {
			return err
		}
	}
	return nil
}

// cell adds one value to column c (number i).
func (b *builder) cell(c *colState, i int, v string, line int) error {
	if b.missing[v] {
		if b.opts.Missing == MissingError {
			return b.fail(line, i, "missing value %q (set Options.Missing to MissingKeep to keep missing values for the pipeline to fill)", v)
		}
		if c.Missing == 0 {
			c.missingAt = line
		}
		c.Missing++
		switch c.Kind {
		case Numeric:
			c.Numbers = append(c.Numbers, math.NaN())
		case Categorical:
			c.Codes = append(c.Codes, -1)
		default:
			c.Numbers = append(c.Numbers, math.NaN()) // until a value decides
		}
		return nil
	}
	num, err := parseDecimal(v)
	isNum := err == nil && !math.IsInf(num, 0) && !math.IsNaN(num)
	// A number too large for float32 (1e39, or 1e999 beyond even
	// float64) is still a number, for the kind, but an error in a numeric
	// column: the model's features and targets are float32.
	tooLarge := isNum && math.IsInf(float64(float32(num)), 0) || errors.Is(err, strconv.ErrRange) && math.IsInf(num, 0)
	isNum = isNum || tooLarge
	if c.Kind == Auto {
		// The first value present decides; the missing ones before it
		// are NaN, or code −1 once converted.
		c.firstLine, c.firstText = line, strings.Clone(v)
		if isNum {
			c.Kind = Numeric
		} else {
			c.Kind = Categorical
			c.Codes = make([]int32, len(c.Numbers), max(len(c.Numbers), 16))
			for j := range c.Codes {
				c.Codes[j] = -1
			}
			c.Numbers = nil
		}
	}
	switch c.Kind {
	case Numeric:
		if !isNum {
			if c.declared == Numeric {
				return b.fail(line, i, "%q is not a number (the column is declared Numeric)", v)
			}
			return b.fail(line, i, "%q is not a number, but %q on line %d is: declare the column Categorical in Options.Kinds, or list %q in Options.MissingValues", v, c.firstText, c.firstLine, v)
		}
		if tooLarge {
			return b.fail(line, i, "%q is outside float32's range (±%g), which numeric columns are computed in", v, float32(math.MaxFloat32))
		}
		c.Numbers = append(c.Numbers, num)
	case Categorical:
		if isNum && c.declared == Auto {
			return b.fail(line, i, "%q is a number, but %q on line %d is not: declare the column Categorical in Options.Kinds, or list %q in Options.MissingValues", v, c.firstText, c.firstLine, c.firstText)
		}
		code, ok := c.levels[v]
		if !ok {
			if len(c.Levels) >= b.opts.MaxCategories {
				return b.fail(line, i, "more than %d distinct values (Options.MaxCategories)", b.opts.MaxCategories)
			}
			if c.levels == nil {
				c.levels = make(map[string]int32)
			}
			code = int32(len(c.Levels))
			v = strings.Clone(v) // not the record's memory
			c.levels[v] = code
			c.Levels = append(c.Levels, v)
		}
		c.Codes = append(c.Codes, code)
	}
	return nil
}

func (b *builder) finish() (*Table, error) {
	if len(b.t.lines) == 0 {
		return nil, &Error{File: b.name, Err: errors.New("no data rows after the header")}
	}
	b.t.Name = b.name
	for i, c := range b.cols {
		if c.Kind == Auto { // every value missing
			return nil, b.fail(c.missingAt, i, "every value is missing, so its kind is unknown: drop the column or declare its kind in Options.Kinds")
		}
		b.t.Columns = append(b.t.Columns, c.Column)
	}
	return &b.t, nil
}

// errNotDecimal is parseDecimal's error for text that is not a decimal
// number.
var errNotDecimal = errors.New("not a decimal number")

// parseDecimal parses v as a decimal number, as pandas.read_csv reads
// one: an optional sign, digits with an optional decimal point (at least
// one digit) and an optional exponent. strconv.ParseFloat alone would
// also take Go's literal syntax — digit separators ("2023_01" is 202301)
// and hexadecimal mantissas ("0x1p3" is 8) — and names ("inf", "NaN"),
// which are text here. Errors are strconv's (ErrRange for a number
// beyond float64) or errNotDecimal.
func parseDecimal(v string) (float64, error) {
	i := 0
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		digits++
	}
	if i < len(v) && v[i] == '.' {
		for i++; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return 0, errNotDecimal
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		exp := i
		for ; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		}
		if i == exp {
			return 0, errNotDecimal
		}
	}
	if i != len(v) {
		return 0, errNotDecimal
	}
	return strconv.ParseFloat(v, 64)
}

// notText recognises, from their first bytes, the files people mistake
// for CSV text — compressed, a spreadsheet workbook, UTF-16 — and says
// what they are and what to do, where the header would otherwise be
// "not valid UTF-8".
func notText(br *bufio.Reader) error {
	b, _ := br.Peek(8)
	has := func(prefix string) bool { return bytes.HasPrefix(b, []byte(prefix)) }
	switch {
	case has("\x1f\x8b"):
		return errors.New("gzip-compressed data, want CSV text: decompress it first (gunzip)")
	case has("PK\x03\x04"):
		return errors.New("a ZIP archive (an Excel workbook, .xlsx?), want CSV text: save the sheet as CSV UTF-8")
	case has("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
		return errors.New("an OLE2 compound file (an Excel 97-2003 workbook, .xls?), want CSV text: save the sheet as CSV UTF-8")
	case has("\xff\xfe"), has("\xfe\xff"):
		return fmt.Errorf("UTF-16 text (it starts with the byte-order mark % x), want UTF-8: save it as CSV UTF-8", b[:2])
	}
	return nil
}
