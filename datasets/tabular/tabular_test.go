package tabular

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func read(t *testing.T, text string, opts Options) *Table {
	t.Helper()
	tab, err := ReadCSV(strings.NewReader(text), "t.csv", opts)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestReadCSVKinds(t *testing.T) {
	text := "\uFEFFRowNumber,Geography, Age ,Balance,Surname\n" +
		"1,France,42,0,Hargrave\r\n" +
		"2, Spain ,41,83807.86,\"Hill, Jr.\"\n" +
		"\n" + // blank lines are skipped
		"3,France,42,159660.8,\"O\"\"Brien\"\n"
	tab := read(t, text, Options{})
	if got, want := tab.Names(), []string{"RowNumber", "Geography", "Age", "Balance", "Surname"}; !reflect.DeepEqual(got, want) {
		t.Errorf("names %q, want %q", got, want)
	}
	if tab.Rows() != 3 || tab.Name != "t.csv" {
		t.Fatalf("%d rows named %q, want 3 named t.csv", tab.Rows(), tab.Name)
	}
	wantKinds := []Kind{Numeric, Categorical, Numeric, Numeric, Categorical}
	for i, c := range tab.Columns {
		if c.Kind != wantKinds[i] {
			t.Errorf("column %s is %v, want %v", c.Name, c.Kind, wantKinds[i])
		}
	}
	geo, _ := tab.Column("Geography")
	if !reflect.DeepEqual(geo.Levels, []string{"France", "Spain"}) || !reflect.DeepEqual(geo.Codes, []int32{0, 1, 0}) {
		t.Errorf("Geography levels %q codes %v", geo.Levels, geo.Codes)
	}
	bal, _ := tab.Column("Balance")
	if !reflect.DeepEqual(bal.Numbers, []float64{0, 83807.86, 159660.8}) {
		t.Errorf("Balance %v", bal.Numbers)
	}
	sur, _ := tab.Column("Surname")
	if got := []string{sur.Text(0), sur.Text(1), sur.Text(2)}; !reflect.DeepEqual(got, []string{"Hargrave", "Hill, Jr.", `O"Brien`}) {
		t.Errorf("Surname %q", got)
	}
	if got := []int{tab.Line(0), tab.Line(1), tab.Line(2)}; !reflect.DeepEqual(got, []int{2, 3, 5}) {
		t.Errorf("lines %v, want [2 3 5]", got)
	}
	if _, err := tab.Column("Exited"); err == nil || !strings.Contains(err.Error(), `t.csv: no column "Exited"`) {
		t.Errorf("missing column: %v", err)
	}
}

func TestReadCSVOptions(t *testing.T) {
	// A quoted line break, a declared categorical column of numbers, a
	// semicolon delimiter, kept missing values and an unnamed first
	// column (pandas's index).
	text := ";zip;note;score\n0;02139;\"two\nlines\";NA\n1;10001;x;3.5\n2;?;y;\n"
	tab := read(t, text, Options{Comma: ';', Kinds: map[string]Kind{"zip": Categorical}, Missing: MissingKeep})
	if got := tab.Names(); !reflect.DeepEqual(got, []string{"Unnamed: 0", "zip", "note", "score"}) {
		t.Errorf("names %q", got)
	}
	zip, _ := tab.Column("zip")
	if zip.Kind != Categorical || zip.Text(0) != "02139" || !zip.IsMissing(2) || zip.Missing != 1 {
		t.Errorf("zip %+v", zip)
	}
	note, _ := tab.Column("note")
	if note.Text(0) != "two\nlines" {
		t.Errorf("note %q", note.Text(0))
	}
	score, _ := tab.Column("score")
	if score.Kind != Numeric || !math.IsNaN(score.Numbers[0]) || score.Numbers[1] != 3.5 || !math.IsNaN(score.Numbers[2]) || score.Missing != 2 {
		t.Errorf("score %+v", score)
	}
	// The quoted line break moves the next rows down a line.
	if got := []int{tab.Line(0), tab.Line(1), tab.Line(2)}; !reflect.DeepEqual(got, []int{2, 4, 5}) {
		t.Errorf("lines %v, want [2 4 5]", got)
	}
	// A column whose first values are missing takes the kind of the first
	// value present.
	tab = read(t, "a,b\n,\n1,x\n", Options{Missing: MissingKeep})
	a, _ := tab.Column("a")
	b, _ := tab.Column("b")
	if a.Kind != Numeric || !a.IsMissing(0) || b.Kind != Categorical || !b.IsMissing(0) || b.Text(1) != "x" {
		t.Errorf("a %+v, b %+v", a, b)
	}

	// float32's extremes are numbers; a declared categorical column holds
	// any text.
	tab2 := read(t, "n,c\n3.4028235e38,1e39\n-3.4028235e38,1e999\n1e-999,x\n", Options{Kinds: map[string]Kind{"c": Categorical}})
	if n, c := tab2.Columns[0], tab2.Columns[1]; !reflect.DeepEqual(n.Numbers, []float64{3.4028235e38, -3.4028235e38, 0}) || !reflect.DeepEqual(c.Levels, []string{"1e39", "1e999", "x"}) {
		t.Errorf("n %+v, c %+v", n, c)
	}

	sub, err := tab.Take([]int{1, 1, 0})
	if err != nil {
		t.Fatal(err)
	}
	sa, _ := sub.Column("a")
	sb, _ := sub.Column("b")
	if sub.Rows() != 3 || sa.Numbers[0] != 1 || sa.Missing != 1 || sb.Text(1) != "x" || sub.Line(2) != 2 {
		t.Errorf("Take: a %+v, b %+v", sa, sb)
	}
	if _, err := tab.Take([]int{2}); err == nil {
		t.Error("Take out of range accepted")
	}
}

// TestReadCSVByteOrderMark reads what Excel's "CSV UTF-8" writes: a
// byte-order mark before a quoted first name, which must lose its quotes
// as the other names do, in ReadCSV and ReadHeader alike; a mark anywhere
// else is data.
func TestReadCSVByteOrderMark(t *testing.T) {
	text := "\uFEFF\"a, first\",\"b\",\"y\"\n1,2,x\n3,4,\"\uFEFFy\"\n"
	want := []string{"a, first", "b", "y"}
	tab := read(t, text, Options{})
	if got := tab.Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("ReadCSV names %q, want %q", got, want)
	}
	if a, _ := tab.Column("a, first"); a == nil || a.Kind != Numeric || !reflect.DeepEqual(a.Numbers, []float64{1, 3}) {
		t.Errorf("column a, first: %+v", a)
	}
	if y, _ := tab.Column("y"); y == nil || !reflect.DeepEqual(y.Levels, []string{"x", "\uFEFFy"}) {
		t.Errorf("column y: %+v", y)
	}
	got, err := ReadHeader(strings.NewReader(text), "t.csv", Options{})
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadHeader = %q, %v; want %q", got, err, want)
	}
	// A file that is only a mark is empty.
	if _, err := ReadCSV(strings.NewReader("\uFEFF"), "t.csv", Options{}); err == nil || !strings.Contains(err.Error(), "t.csv: empty file") {
		t.Errorf("a lone byte-order mark: %v", err)
	}
}

// TestReadCSVErrors feeds malformed files: each error must name the file,
// the line and, where there is one, the column by number and name.
func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name, text string
		opts       Options
		line, col  int
		want       string
	}{
		{"empty file", "", Options{}, 0, 0, "t.csv: empty file, want a header line"},
		{"only blank lines", "\n\n\r\n", Options{}, 0, 0, "t.csv: empty file"},
		{"header only", "a,b,c\n", Options{}, 0, 0, "t.csv: no data rows after the header"},
		{"ragged short", "a,b,c\n1,2,3\n4,5\n", Options{}, 3, 0, "t.csv:3: 2 fields, want 3 as in the header (a ragged row)"},
		{"ragged long", "a,b\n1,2\n\n3,4,5\n", Options{}, 4, 0, "t.csv:4: 3 fields, want 2"},
		{"text in a declared numeric column", "Age,Name\n42,Ann\nforty,Bob\n", Options{Kinds: map[string]Kind{"Age": Numeric}}, 3, 1, `t.csv:3: column 1 "Age": "forty" is not a number (the column is declared Numeric)`},
		{"text in an inferred numeric column", "id,Age\n1,42\n2,41\n3,unknown\n", Options{}, 4, 2, `t.csv:4: column 2 "Age": "unknown" is not a number, but "42" on line 2 is: declare the column Categorical`},
		{"number in an inferred categorical column", "Size\nS\nM\n10\n", Options{}, 4, 1, `t.csv:4: column 1 "Size": "10" is a number, but "S" on line 2 is not`},
		{"infinity", "x\n1\ninf\n", Options{}, 3, 1, `column 1 "x": "inf" is not a number`},
		{"NaN", "x1,y\n0,a\nNaN,b\n", Options{}, 3, 1, `t.csv:3: column 1 "x1": "NaN" is not a number, but "0" on line 2 is`},
		{"NaN first", "x1,y\n nan ,a\n0,b\n", Options{}, 3, 1, `t.csv:3: column 1 "x1": "0" is a number, but "nan" on line 2 is not: declare the column Categorical in Options.Kinds, or list "nan" in Options.MissingValues`},
		{"beyond float32", "x\n1\n1e39\n", Options{}, 3, 1, `t.csv:3: column 1 "x": "1e39" is outside float32's range (±3.4028235e+38)`},
		{"beyond float64", "y,x\na,1e999\nb,2\n", Options{}, 2, 2, `t.csv:2: column 2 "x": "1e999" is outside float32's range`},
		{"beyond float32, declared", "x\n-3.5e38\n", Options{Kinds: map[string]Kind{"x": Numeric}}, 2, 1, `"-3.5e38" is outside float32's range`},
		{"large number in a categorical column", "c\nS\n1e39\n", Options{}, 3, 1, `"1e39" is a number, but "S" on line 2 is not`},
		{"missing value", "a,b\n1,2\n3,NA\n", Options{}, 3, 2, `t.csv:3: column 2 "b": missing value "NA" (set Options.Missing to MissingKeep`},
		{"empty value", "a,b\n1,\n", Options{}, 2, 2, `t.csv:2: column 2 "b": missing value ""`},
		{"question mark", "a,b\n1, ?\n", Options{}, 2, 2, `missing value "?"`},
		{"all missing", "a,b\n1,\n2,NA\n", Options{Missing: MissingKeep}, 2, 2, `t.csv:2: column 2 "b": every value is missing`},
		{"unterminated quote", "a,b\n1,2\n3,\"four\n5,6\n", Options{}, 3, 0, "t.csv:3: the quoted field 2 opened on line 3 never closes"},
		{"text after a closing quote", "a,b\n\"1\"x,2\n", Options{}, 2, 0, `t.csv:2: field 1: 'x' after its closing quote`},
		{"invalid UTF-8", "a,b\n1,caf\xe9\n", Options{}, 2, 2, `t.csv:2: column 2 "b": the value is not valid UTF-8`},
		{"invalid UTF-8 header", "a,\xff\n1,2\n", Options{}, 1, 2, "t.csv:1: column 2: the header's name is not valid UTF-8"},
		{"repeated name", "a,b,a\n1,2,3\n", Options{}, 1, 3, `t.csv:1: column 3 "a": the header repeats the name of column 1`},
		{"unknown declared column", "a,b\n1,2\n", Options{Kinds: map[string]Kind{"c": Numeric}}, 1, 0, `Options.Kinds names column "c", which the header lacks`},
		{"too many columns", "a,b,c,d\n1,2,3,4\n", Options{MaxColumns: 3}, 1, 0, "t.csv:1: more than 3 fields (Options.MaxColumns)"},
		{"too many rows", "a\n1\n2\n3\n", Options{MaxRows: 2}, 4, 0, "t.csv:4: more than 2 rows (Options.MaxRows)"},
		{"too many cells", "a,b\n1,2\n3,4\n", Options{MaxCells: 3}, 3, 0, "t.csv:3: more than 3 cells (Options.MaxCells)"},
		{"too many categories", "c\nx\ny\nz\n", Options{MaxCategories: 2}, 4, 1, `t.csv:4: column 1 "c": more than 2 distinct values (Options.MaxCategories)`},
		{"long line", "a,b\n1," + strings.Repeat("9", 100) + "\n", Options{MaxLineBytes: 64}, 2, 0, "t.csv:2: record longer than 64 bytes (Options.MaxLineBytes)"},
		{"bad delimiter", "a\n1\n", Options{Comma: '"'}, 0, 0, "t.csv: Options.Comma is '\"'"},
		{"negative limit", "a\n1\n", Options{MaxRows: -1}, 0, 0, "Options.MaxRows is -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tt.text), "t.csv", tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			var e *Error
			if tt.line > 0 || tt.col > 0 {
				if !errors.As(err, &e) {
					t.Fatalf("error %v is not a *tabular.Error", err)
				}
				if e.File != "t.csv" || e.Line != tt.line || e.Column != tt.col {
					t.Errorf("error at %s line %d column %d, want t.csv line %d column %d", e.File, e.Line, e.Column, tt.line, tt.col)
				}
			}
		})
	}
}

// endless yields a header and then one line of n bytes of digits without
// a line break, generated as it is read: a 1 GB line costs no memory to
// make.
type endless struct {
	header string
	n      int64
	off    int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.header != "" {
		k := copy(p, e.header)
		e.header = e.header[k:]
		return k, nil
	}
	if e.off >= e.n {
		return 0, io.EOF
	}
	k := int64(len(p))
	if e.n-e.off < k {
		k = e.n - e.off
	}
	for i := range p[:k] {
		p[i] = '7'
	}
	e.off += k
	return int(k), nil
}

// TestReadCSVGigabyteLine reads a 1 GB line: the reader must stop after
// MaxLineBytes with an error naming the line, having read and held little
// more than that.
func TestReadCSVGigabyteLine(t *testing.T) {
	src := &endless{header: "a,b\n1,2\n", n: 1 << 30}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ReadCSV(src, "big.csv", Options{})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "big.csv:3: record longer than 1048576 bytes (Options.MaxLineBytes)") {
		t.Fatalf("error %v", err)
	}
	if src.off > 2<<20 {
		t.Errorf("read %d bytes of the long line, want at most about MaxLineBytes", src.off)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("allocated %d MiB reading a record capped at 1 MiB", alloc>>20)
	}
}

func TestReadCSVFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "customers.csv")
	if err := os.WriteFile(path, []byte("Gender,Exited\nFemale,1\nMale,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tab, err := ReadCSVFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Name != path || tab.Rows() != 2 {
		t.Errorf("table %q of %d rows", tab.Name, tab.Rows())
	}
	if err := os.WriteFile(path, []byte("Gender,Exited\nFemale\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCSVFile(path, Options{}); err == nil || !strings.HasPrefix(err.Error(), path+":2: ") {
		t.Errorf("error %v, want it to start with %s:2:", err, path)
	}
	if _, err := ReadCSVFile(filepath.Join(t.TempDir(), "none.csv"), Options{}); err == nil || !strings.Contains(err.Error(), "none.csv") {
		t.Errorf("missing file: %v", err)
	}
}

// TestReadHeader: the header alone, named as ReadCSV names its columns,
// with the delimiter and limits of the options, whatever Kinds says.
func TestReadHeader(t *testing.T) {
	text := "\uFEFF;  age ;;city\n1;2;3;4\n"
	opts := Options{Comma: ';', Kinds: map[string]Kind{"absent": Numeric}}
	got, err := ReadHeader(strings.NewReader(text), "people.csv", opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Unnamed: 0", "age", "Unnamed: 2", "city"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadHeader = %q, want %q", got, want)
	}
	opts.Kinds = nil
	table, err := ReadCSV(strings.NewReader(text), "people.csv", opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range table.Columns {
		if c.Name != want[i] {
			t.Errorf("ReadCSV column %d is %q, ReadHeader said %q", i, c.Name, want[i])
		}
	}
	for _, tc := range []struct{ text, want string }{
		{"", "people.csv: empty file"},
		{"a,b,a\n", `people.csv:1: column 3 "a": the header repeats the name of column 1`},
		{strings.Repeat("x", 100) + "\n", "people.csv:1: record longer than 64 bytes (Options.MaxLineBytes)"},
	} {
		_, err := ReadHeader(strings.NewReader(tc.text), "people.csv", Options{MaxLineBytes: 64})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadHeader(%.20q) error %v, want one containing %q", tc.text, err, tc.want)
		}
	}
}

// TestReadCSVCarriageReturns: lines ended by \r alone (classic Mac OS,
// Excel's "CSV (Macintosh)") are lines, as pandas reads them, with their
// line numbers; a \r inside quotes is kept. They used to run together
// into one header of values and "no data rows after the header".
func TestReadCSVCarriageReturns(t *testing.T) {
	tab := read(t, "Age,City\r42,Paris\r\r\"7\",\"Le\rMans\"\r39,Lyon", Options{})
	if tab.Rows() != 3 || !reflect.DeepEqual(tab.Names(), []string{"Age", "City"}) {
		t.Fatalf("%d rows, columns %q; want 3 rows of Age and City", tab.Rows(), tab.Names())
	}
	age, _ := tab.Column("Age")
	city, _ := tab.Column("City")
	if !reflect.DeepEqual(age.Numbers, []float64{42, 7, 39}) || !reflect.DeepEqual([]string{city.Text(0), city.Text(1), city.Text(2)}, []string{"Paris", "Le\rMans", "Lyon"}) {
		t.Errorf("Age %v, City %q %q %q", age.Numbers, city.Text(0), city.Text(1), city.Text(2))
	}
	if got := []int{tab.Line(0), tab.Line(1), tab.Line(2)}; !reflect.DeepEqual(got, []int{2, 4, 6}) {
		t.Errorf("lines %v, want [2 4 6]", got)
	}
	_, err := ReadCSV(strings.NewReader("a,b\r1,2\r3\r"), "mac.csv", Options{})
	if err == nil || err.Error() != "mac.csv:3: 1 fields, want 2 as in the header (a ragged row)" {
		t.Errorf("ragged row: %v", err)
	}
}

// TestReadCSVDecimalNumbers: a number is decimal text, as pandas.read_csv
// parses it; Go's literal syntax (digit separators, hexadecimal
// mantissas) is text, so that codes such as "2023_01" keep their
// meaning rather than becoming 202301.
func TestReadCSVDecimalNumbers(t *testing.T) {
	tab := read(t, "month,hex,x\n2023_01,0x1p3,+1.5e2\n2023_02,0x10,-.5\n2023_01,0X1P-2,7.\n", Options{})
	for _, name := range []string{"month", "hex"} {
		if c, _ := tab.Column(name); c.Kind != Categorical {
			t.Errorf("column %s is %v (%v), want categorical", name, c.Kind, c.Numbers)
		}
	}
	month, _ := tab.Column("month")
	if !reflect.DeepEqual(month.Levels, []string{"2023_01", "2023_02"}) || !reflect.DeepEqual(month.Codes, []int32{0, 1, 0}) {
		t.Errorf("month levels %q codes %v", month.Levels, month.Codes)
	}
	if x, _ := tab.Column("x"); x.Kind != Numeric || !reflect.DeepEqual(x.Numbers, []float64{150, -0.5, 7}) {
		t.Errorf("x %+v, want the numbers 150, -0.5, 7", x)
	}
	_, err := ReadCSV(strings.NewReader("n\n5\n1_000\n"), "t.csv", Options{})
	if err == nil || !strings.Contains(err.Error(), `t.csv:3: column 1 "n": "1_000" is not a number, but "5" on line 2 is`) {
		t.Errorf("a digit separator in a numeric column: %v", err)
	}
}

// TestReadCSVKindsErrorsRepeat: with several bad entries in Options.Kinds
// the error is the same on every run, about the first name in sorted
// order, not whichever the map's iteration met first.
func TestReadCSVKindsErrorsRepeat(t *testing.T) {
	for _, c := range []struct {
		kinds map[string]Kind
		want  string
	}{
		{map[string]Kind{"zz": Numeric, "b": Numeric, "y": Numeric, "q": Numeric}, `t.csv:1: Options.Kinds names column "b", which the header lacks`},
		{map[string]Kind{"a": 7, "x": 9, "m": 8}, `t.csv: Options.Kinds["a"] is Kind(7)`},
	} {
		for range 32 {
			_, err := ReadCSV(strings.NewReader("a,c\n1,2\n"), "t.csv", Options{Kinds: c.kinds})
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("error %v, want one starting %q", err, c.want)
			}
		}
	}
}

// TestReadCSVNotText: files that are not CSV text at all — compressed,
// an Excel workbook, UTF-16 — are errors saying what they are and what
// to do, not "the header's name is not valid UTF-8".
func TestReadCSVNotText(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("a,b\n1,2\n"))
	zw.Close()
	utf16 := []byte{0xff, 0xfe, 'a', 0, ',', 0, 'b', 0, '\r', 0, '\n', 0, '1', 0, ',', 0, '2', 0}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"gzip", gz.Bytes(), "t.csv: gzip-compressed data, want CSV text: decompress it first (gunzip)"},
		{"xlsx", []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00b\xee\x9dh^\x01"), "t.csv: a ZIP archive (an Excel workbook, .xlsx?), want CSV text: save the sheet as CSV UTF-8"},
		{"xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"), "t.csv: an OLE2 compound file (an Excel 97-2003 workbook, .xls?), want CSV text: save the sheet as CSV UTF-8"},
		{"UTF-16 LE", utf16, "t.csv: UTF-16 text (it starts with the byte-order mark ff fe), want UTF-8: save it as CSV UTF-8"},
		{"UTF-16 BE", []byte{0xfe, 0xff, 0, 'a', 0, '\n'}, "t.csv: UTF-16 text (it starts with the byte-order mark fe ff), want UTF-8"},
	} {
		for _, header := range []bool{false, true} {
			var err error
			if header {
				_, err = ReadHeader(bytes.NewReader(c.data), "t.csv", Options{})
			} else {
				_, err = ReadCSV(bytes.NewReader(c.data), "t.csv", Options{})
			}
			var e *Error
			if err == nil || !strings.HasPrefix(err.Error(), c.want) || !errors.As(err, &e) || e.File != "t.csv" {
				t.Errorf("%s (ReadHeader %v): %v, want an error starting %q", c.name, header, err, c.want)
			}
		}
	}
}
