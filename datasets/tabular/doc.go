// Package tabular reads tables of examples from CSV files, as
// pandas.read_csv does for the companion tutorial's customer table: a
// header line naming the columns, then one example per line, each column
// numeric or categorical (strings such as "France" or "Male"). Fields
// follow RFC 4180 (double quotes around a field holding the delimiter, a
// quote or a line break; "" for a quote inside them); lines end in \n,
// \r\n or, as classic Mac OS and Excel's "CSV (Macintosh)" end them, \r.
//
// ReadCSVFile (or ReadCSV on any io.Reader) returns a Table: its columns in
// file order, each with its name, its Kind and its values — float64 for a
// numeric column, codes into the column's distinct Levels for a
// categorical one — and the line of the file each row came from, so that
// later checks (an unknown category at predict time) can name it.
//
// A column's kind is declared in Options.Kinds or inferred: numeric when
// every value that is present is a finite decimal number (an optional
// sign, digits with an optional point, an optional exponent: "-1.5e3",
// ".5"; not "inf", "NaN", "0x10" or "2023_01"), categorical when none is. A column where some values are numbers and others are not is
// an error naming the first value that disagrees, its line and column, and
// the line of a value of the other kind: declare the column's kind, or
// list the odd value among the missing-value markers. A number in a
// numeric column must lie within float32's range (±3.4028235e+38), the
// precision models compute in: 1e39 is an error naming it.
//
// Missing values are the fields equal, once surrounding spaces are
// trimmed, to one of Options.MissingValues (by default "", "NA" and "?").
// By default the first one is an error naming its line and column;
// with Options.Missing = MissingKeep they are kept (NaN in a numeric
// column, code −1 in a categorical one) and counted per column, for the
// preprocessing pipeline to fill from the training rows.
//
// Every error names the file, the line and, where there is one, the column
// by number and name, as "customers.csv:12: column 7 "Age": ...", and is a
// *Error for callers that want the parts. Malformed input — ragged rows, an
// unterminated quote, invalid UTF-8, an empty file, a header without data —
// is an error, never a panic (a gzip file, an Excel workbook or UTF-16
// text is named as such, with what to do), and memory is bounded by the limits in
// Options: a record longer than MaxLineBytes (1 MiB by default), more than
// MaxColumns columns (10,000), MaxRows rows (10 million), MaxCells cells
// (25 million) or MaxCategories distinct values in one categorical column
// (100,000) stops the read with an error that names the limit. Within
// those limits a table takes about 8 bytes per numeric cell, 4 per
// categorical cell and 4 per row, plus each distinct category once.
package tabular
