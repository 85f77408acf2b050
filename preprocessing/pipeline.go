package preprocessing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/datasets/tabular"
	"github.com/tailor-ml/tailor/internal/jsoncount"
	"github.com/tailor-ml/tailor/tensor"
)

// This file is the fitted preprocessing of a table — what the companion
// tutorial does with a LabelEncoder, a ColumnTransformer(OneHotEncoder)
// and a StandardScaler, in one value that can be stored in a model file
// and applied to new rows.

// Encoding is how a categorical column becomes features.
type Encoding string

// The encodings.
const (
	// OneHot gives one feature per category (sklearn's OneHotEncoder);
	// the default.
	OneHot Encoding = "one_hot"
	// Label gives one feature, the category's index among the sorted
	// categories (sklearn's LabelEncoder, as the tutorial encodes Gender).
	Label Encoding = "label"
)

// ScaleMode says which features a Pipeline standardises.
type ScaleMode string

// The scale modes.
const (
	// ScaleAll standardises every feature, the one-hot ones included, as
	// the companion tutorial fits its StandardScaler on the whole encoded
	// matrix; the default.
	ScaleAll ScaleMode = "all"
	// ScaleNumeric standardises the numeric columns only.
	ScaleNumeric ScaleMode = "numeric"
	// ScaleNone leaves every feature as encoded.
	ScaleNone ScaleMode = "none"
)

// PipelineOptions are FitPipeline's settings.
type PipelineOptions struct {
	// Target names the column to predict; empty for features only.
	Target string
	// Features names the columns to use, in order. Empty means every
	// column but the target and those in Drop.
	Features []string
	// Drop names columns to leave out when Features is empty, such as
	// the tutorial's RowNumber, CustomerId and Surname.
	Drop []string
	// Encodings chooses the encoding of categorical columns by name;
	// OneHot for those not named.
	Encodings map[string]Encoding
	// HandleUnknown says what Transform does with a category the pipeline
	// was not fitted on: an error (the default) or all zeros (one-hot) or
	// −1 (label encoding).
	HandleUnknown HandleUnknown
	// Impute fills missing feature values, in fitting and in Transform,
	// with the training mean (numeric columns) or the most frequent
	// training category, the first in sorted order among equals
	// (categorical), as sklearn's SimpleImputer's "mean" and
	// "most_frequent". Without it a missing value is an error.
	Impute bool
	// Scale chooses the features to standardise; ScaleAll when empty.
	Scale ScaleMode
	// Regression makes the target a number rather than a class.
	Regression bool
	// Classes, if set, are the target's classes in label order; by
	// default they are the distinct values of the target column, sorted
	// (numerically for a numeric column), as LabelEncoder sorts them.
	Classes []string
}

// Pipeline is a fitted tabular preprocessing: how each feature column is
// filled and encoded, how the encoded features are standardised, and what
// the target's classes are. Its exported fields are its JSON form, which
// UnmarshalJSON validates (ParsePipeline reads one). A Pipeline is not
// modified by its methods and may be used from many goroutines.
type Pipeline struct {
	// Features are the input columns, in the order their features come.
	Features []Feature `json:"features"`
	// Scale is the scale mode the pipeline was fitted with.
	Scale ScaleMode `json:"scale"`
	// Scaler standardises the encoded features; its entries for features
	// the mode leaves alone are mean 0 and scale 1.
	Scaler StandardScaler `json:"scaler"`
	// Target is the column to predict, nil for features only.
	Target *Target `json:"target,omitempty"`
}

// Feature is one input column of a Pipeline.
type Feature struct {
	// Name is the column's name in the CSV header.
	Name string `json:"name"`
	// Kind is "numeric" or "categorical".
	Kind string `json:"kind"`
	// Encoding, Categories and HandleUnknown are a categorical column's
	// encoding, its known categories (sorted) and what to do with others.
	Encoding      Encoding      `json:"encoding,omitempty"`
	Categories    []string      `json:"categories,omitempty"`
	HandleUnknown HandleUnknown `json:"handle_unknown,omitempty"`
	// Impute says whether missing values are filled, with FillValue
	// (numeric) or FillCategory (categorical).
	Impute       bool    `json:"impute,omitempty"`
	FillValue    float64 `json:"fill_value,omitempty"`
	FillCategory string  `json:"fill_category,omitempty"`
}

// width returns the number of features the column becomes.
func (f *Feature) width() int {
	if f.Kind == kindCategorical && f.Encoding == OneHot {
		return len(f.Categories)
	}
	return 1
}

// Target is the column a Pipeline's dataset predicts.
type Target struct {
	// Name is the column's name.
	Name string `json:"name"`
	// Classes are the class names in label order: label i is Classes[i].
	// A numeric column's classes are its values as text ("0", "1").
	Classes []string `json:"classes,omitempty"`
	// Regression marks a numeric target predicted as a number; Classes
	// is then empty.
	Regression bool `json:"regression,omitempty"`
}

const (
	kindNumeric     = "numeric"
	kindCategorical = "categorical"
	maxClasses      = 1 << 24 // labels travel as float32
)

// FitPipeline fits the preprocessing on the rows of t (the training set:
// split first, then fit, so that no statistic comes from the test rows).
// It is an error for a named column to be absent, for a feature to have a
// missing value without opts.Impute (the error names its line), or for the
// target to be missing, to have fewer than two classes, or to be
// categorical in a regression, or for the encoded rows to exceed
// MaxEncodedValues.
func FitPipeline(t *tabular.Table, opts PipelineOptions) (*Pipeline, error) {
	if t == nil || t.Rows() == 0 {
		return nil, fmt.Errorf("pipeline: no rows to fit on")
	}
	scale := opts.Scale
	if scale == "" {
		scale = ScaleAll
	}
	if scale != ScaleAll && scale != ScaleNumeric && scale != ScaleNone {
		return nil, fmt.Errorf("pipeline: scale mode %q, want %q, %q or %q", scale, ScaleAll, ScaleNumeric, ScaleNone)
	}
	if !opts.HandleUnknown.valid() {
		return nil, fmt.Errorf("pipeline: handle_unknown is %q, want %q or %q", opts.HandleUnknown, UnknownError, UnknownIgnore)
	}
	names, err := featureNames(t, opts)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{Scale: scale}
	for _, name := range names {
		f, err := fitFeature(t, name, opts)
		if err != nil {
			return nil, err
		}
		p.Features = append(p.Features, f)
	}
	for _, name := range slices.Sorted(maps.Keys(opts.Encodings)) { // the same error every run
		i := slices.IndexFunc(p.Features, func(f Feature) bool { return f.Name == name })
		if i < 0 || p.Features[i].Kind != kindCategorical {
			return nil, fmt.Errorf("pipeline: PipelineOptions.Encodings names %q, which is not a categorical feature column", name)
		}
	}
	if opts.Target != "" {
		if p.Target, err = fitTarget(t, opts); err != nil {
			return nil, err
		}
	}
	// Fit the scaler on the encoded training features.
	p.Scaler = StandardScaler{Mean: make([]float64, p.width()), Scale: make([]float64, p.width())}
	for j := range p.Scaler.Scale {
		p.Scaler.Scale[j] = 1
	}
	x, err := p.encode(t)
	if err != nil {
		return nil, err
	}
	if scale != ScaleNone {
		n, w := t.Rows(), p.width()
		j := 0
		for _, f := range p.Features {
			for k := 0; k < f.width(); k, j = k+1, j+1 {
				if scale == ScaleNumeric && f.Kind != kindNumeric {
					continue
				}
				p.Scaler.Mean[j], p.Scaler.Scale[j] = meanScale(x.Data, n, w, j)
			}
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err // e.g. too many categories
	}
	return p, nil
}

// featureNames returns the feature columns FitPipeline uses.
func featureNames(t *tabular.Table, opts PipelineOptions) ([]string, error) {
	if opts.Target != "" {
		if _, err := t.Column(opts.Target); err != nil {
			return nil, fmt.Errorf("pipeline: target: %w", err)
		}
	}
	seen := map[string]bool{}
	if len(opts.Features) > 0 {
		for _, name := range opts.Features {
			if _, err := t.Column(name); err != nil {
				return nil, fmt.Errorf("pipeline: feature: %w", err)
			}
			if name == opts.Target {
				return nil, fmt.Errorf("pipeline: %q is both the target and a feature", name)
			}
			if seen[name] {
				return nil, fmt.Errorf("pipeline: feature %q is listed twice", name)
			}
			seen[name] = true
		}
		return slices.Clone(opts.Features), nil
	}
	drop := map[string]bool{}
	for _, name := range opts.Drop {
		if _, err := t.Column(name); err != nil {
			return nil, fmt.Errorf("pipeline: drop: %w", err)
		}
		drop[name] = true
	}
	var names []string
	for _, c := range t.Columns {
		if c.Name != opts.Target && !drop[c.Name] {
			names = append(names, c.Name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("pipeline: %s: no feature columns left", t.Name)
	}
	return names, nil
}

// cellError is an error about the value of row in column col of t,
// naming the file, the row's line and the column.
func cellError(t *tabular.Table, row, col int, format string, args ...any) error {
	return &tabular.Error{File: t.Name, Line: t.Line(row), Column: col + 1, Name: t.Columns[col].Name, Err: fmt.Errorf(format, args...)}
}

// firstMissing returns the first row whose value is missing, or −1.
func firstMissing(c *tabular.Column) int {
	for i := range max(len(c.Numbers), len(c.Codes)) {
		if c.IsMissing(i) {
			return i
		}
	}
	return -1
}

func fitFeature(t *tabular.Table, name string, opts PipelineOptions) (Feature, error) {
	ci := t.Index(name)
	c := t.Columns[ci]
	f := Feature{Name: name, Impute: opts.Impute}
	if c.Missing > 0 && !opts.Impute {
		return f, cellError(t, firstMissing(c), ci, "missing value in a feature column (set PipelineOptions.Impute to fill missing values from the training rows)")
	}
	if c.Missing == t.Rows() {
		return f, fmt.Errorf("pipeline: %s: column %q: every value is missing", t.Name, name)
	}
	if c.Kind == tabular.Numeric {
		f.Kind = kindNumeric
		if enc, ok := opts.Encodings[name]; ok {
			return f, fmt.Errorf("pipeline: PipelineOptions.Encodings gives %q the encoding %q, but the column is numeric (declare it Categorical when reading the CSV)", name, enc)
		}
		if opts.Impute {
			var sum float64
			n := 0
			for _, v := range c.Numbers {
				if !math.IsNaN(v) {
					sum += v
					n++
				}
			}
			f.FillValue = sum / float64(n)
		}
		return f, nil
	}
	f.Kind = kindCategorical
	f.Encoding = OneHot
	if enc, ok := opts.Encodings[name]; ok {
		if enc != OneHot && enc != Label {
			return f, fmt.Errorf("pipeline: column %q: encoding %q, want %q or %q", name, enc, OneHot, Label)
		}
		f.Encoding = enc
	}
	f.HandleUnknown = opts.HandleUnknown
	if f.HandleUnknown == "" {
		f.HandleUnknown = UnknownError
	}
	// The categories seen in these rows (Take shares the whole file's
	// levels), and how often.
	freq := make([]int, len(c.Levels))
	for _, code := range c.Codes {
		if code >= 0 {
			freq[code]++
		}
	}
	for code, n := range freq {
		if n > 0 {
			f.Categories = append(f.Categories, c.Levels[code])
		}
	}
	slices.Sort(f.Categories)
	if opts.Impute {
		best := -1
		for code, n := range freq {
			if n > 0 && (best < 0 || n > freq[best] || (n == freq[best] && c.Levels[code] < c.Levels[best])) {
				best = code
			}
		}
		f.FillCategory = c.Levels[best]
	}
	return f, nil
}

func fitTarget(t *tabular.Table, opts PipelineOptions) (*Target, error) {
	ci := t.Index(opts.Target)
	c := t.Columns[ci]
	if c.Missing > 0 {
		return nil, cellError(t, firstMissing(c), ci, "missing value in the target column")
	}
	tg := &Target{Name: opts.Target, Regression: opts.Regression}
	if opts.Regression {
		if c.Kind != tabular.Numeric {
			return nil, fmt.Errorf("pipeline: %s: the regression target %q is categorical, want numbers", t.Name, opts.Target)
		}
		if len(opts.Classes) > 0 {
			return nil, fmt.Errorf("pipeline: PipelineOptions.Classes is set for a regression")
		}
		return tg, nil
	}
	if len(opts.Classes) > 0 {
		tg.Classes = slices.Clone(opts.Classes)
	} else if c.Kind == tabular.Numeric {
		values := slices.Clone(c.Numbers)
		slices.Sort(values)
		for _, v := range slices.Compact(values) {
			if v == 0 {
				v = 0 // -0 too: the class "0"
			}
			tg.Classes = append(tg.Classes, strconv.FormatFloat(v, 'g', -1, 64))
		}
	} else {
		texts := make([]string, t.Rows())
		for i := range texts {
			texts[i] = c.Text(i)
		}
		tg.Classes = sortedUnique(texts)
	}
	if len(tg.Classes) < 2 {
		return nil, fmt.Errorf("pipeline: %s: the target %q has %d class %q, want at least 2", t.Name, opts.Target, len(tg.Classes), tg.Classes)
	}
	return tg, nil
}

// widest returns the feature that gives the most encoded features.
func (p *Pipeline) widest() *Feature {
	var best *Feature
	for i := range p.Features {
		if f := &p.Features[i]; best == nil || f.width() > best.width() {
			best = f
		}
	}
	return best
}

// width returns the number of encoded features.
func (p *Pipeline) width() int {
	w := 0
	for i := range p.Features {
		w += p.Features[i].width()
	}
	return w
}

// FeatureNames returns the name of each encoded feature: the column's name
// for a numeric or label-encoded column, "column_category" for each
// one-hot feature, as sklearn's get_feature_names_out.
func (p *Pipeline) FeatureNames() []string {
	var names []string
	for _, f := range p.Features {
		if f.Kind == kindCategorical && f.Encoding == OneHot {
			for _, c := range f.Categories {
				names = append(names, f.Name+"_"+c)
			}
			continue
		}
		names = append(names, f.Name)
	}
	return names
}

// ClassNames returns the target's classes, nil without a target or for a
// regression.
func (p *Pipeline) ClassNames() []string {
	if p.Target == nil {
		return nil
	}
	return slices.Clone(p.Target.Classes)
}

// CSVOptions returns the options with which to read new rows for
// Transform: each feature column declared with its kind (so that a
// categorical column of numbers, such as a zip code, stays categorical)
// and missing values kept, for Transform to fill or report.
func (p *Pipeline) CSVOptions() tabular.Options {
	kinds := make(map[string]tabular.Kind, len(p.Features))
	for _, f := range p.Features {
		kinds[f.Name] = tabular.Numeric
		if f.Kind == kindCategorical {
			kinds[f.Name] = tabular.Categorical
		}
	}
	return tabular.Options{Kinds: kinds, Missing: tabular.MissingKeep}
}

// Transform returns the features of t's rows, (N, F) for the F encoded
// features, filled, encoded and standardised as fitted. The columns are
// found by name, in any order, and others are ignored. It is an error, naming
// the file, line and column, for a feature column to be absent or of the
// other kind, for a value to be missing when the pipeline does not impute,
// for a category to be unknown when HandleUnknown is UnknownError, or for
// the result to exceed MaxEncodedValues.
func (p *Pipeline) Transform(t *tabular.Table) (*tensor.Tensor, error) {
	x, err := p.encode(t)
	if err != nil {
		return nil, err
	}
	if err := p.Scaler.Transform(x); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	return x, nil
}

// MaxEncodedValues bounds the rows × encoded features that FitPipeline
// and Transform make of a table: 2²⁸ float32 values, 1 GiB. A column
// that identifies rows (an e-mail address, a name), left among the
// features, one-hot encodes to a feature per row, and N rows to N² values.
const MaxEncodedValues = 1 << 28

// encode fills and encodes, without standardising.
func (p *Pipeline) encode(t *tabular.Table) (*tensor.Tensor, error) {
	n, w := t.Rows(), p.width()
	if n == 0 {
		return nil, fmt.Errorf("pipeline: %s: no rows", t.Name)
	}
	if w > MaxEncodedValues/n {
		msg := fmt.Sprintf("pipeline: %s: %d rows of %d encoded features are %d values, more than the limit of %d (1 GiB of float32)", t.Name, n, w, int64(n)*int64(w), MaxEncodedValues)
		if f := p.widest(); f != nil && f.width() > 1 {
			msg += fmt.Sprintf(": column %q alone gives %d one-hot features, one per distinct value: leave it out (PipelineOptions.Drop) if it identifies rows, or label-encode it (PipelineOptions.Encodings)", f.Name, f.width())
		}
		return nil, errors.New(msg)
	}
	x := tensor.New(n, w)
	j := 0
	for fi := range p.Features {
		f := &p.Features[fi]
		ci := t.Index(f.Name)
		if ci < 0 {
			return nil, fmt.Errorf("pipeline: %s: no column %q, which the model's feature %d is (the file has %q)", t.Name, f.Name, fi+1, t.Names())
		}
		c := t.Columns[ci]
		if want := tabular.Numeric; f.Kind == kindCategorical && c.Kind == want || f.Kind == kindNumeric && c.Kind != want {
			return nil, &tabular.Error{File: t.Name, Column: ci + 1, Name: c.Name,
				Err: fmt.Errorf("the column is %v, the model's feature is %s (read the file with the pipeline's CSVOptions)", c.Kind, f.Kind)}
		}
		if f.Kind == kindNumeric {
			for i := 0; i < n; i++ {
				v := c.Numbers[i]
				if math.IsNaN(v) {
					if !f.Impute {
						return nil, cellError(t, i, ci, "missing value, and the model's preprocessing does not impute (fit it with PipelineOptions.Impute)")
					}
					v = f.FillValue
				}
				x.Data[i*w+j] = float32(v)
			}
			j++
			continue
		}
		// Map the file's levels to the model's categories once.
		codes := make([]int, len(c.Levels))
		for l, level := range c.Levels {
			codes[l] = search(f.Categories, level)
		}
		fill := search(f.Categories, f.FillCategory)
		for i := 0; i < n; i++ {
			code := -1
			if lc := c.Codes[i]; lc >= 0 {
				code = codes[lc]
				if code < 0 && f.HandleUnknown != UnknownIgnore {
					return nil, cellError(t, i, ci, "unknown category %q (the model knows %s; fit with PipelineOptions.HandleUnknown = %q to encode unknown categories as zeros)",
						c.Levels[lc], listSome(f.Categories), UnknownIgnore)
				}
			} else {
				if !f.Impute {
					return nil, cellError(t, i, ci, "missing value, and the model's preprocessing does not impute (fit it with PipelineOptions.Impute)")
				}
				code = fill
			}
			if f.Encoding == Label {
				x.Data[i*w+j] = float32(code)
			} else if code >= 0 {
				x.Data[i*w+j+code] = 1
			}
		}
		j += f.width()
	}
	return x, nil
}

// Targets returns the target of each row of t: class labels 0, 1, ...
// as in Target.Classes, or the numbers of a regression. It is an error for
// the pipeline to have no target, for the column to be absent, or for a
// value to be missing or an unknown class (naming its line).
func (p *Pipeline) Targets(t *tabular.Table) ([]float32, error) {
	if p.Target == nil {
		return nil, fmt.Errorf("pipeline: no target column")
	}
	ci := t.Index(p.Target.Name)
	if ci < 0 {
		return nil, fmt.Errorf("pipeline: %s: no target column %q (the file has %q)", t.Name, p.Target.Name, t.Names())
	}
	c := t.Columns[ci]
	y := make([]float32, t.Rows())
	index := make(map[string]int, len(p.Target.Classes))
	for i, cl := range p.Target.Classes {
		index[cl] = i
	}
	// A class that is a number is also found by its value: a target read
	// as categorical text when fitting ("01", "1.0", as a declared
	// categorical column keeps them) and as numbers now (which the text
	// of a number, 1, does not match), or the other way round. A value
	// that two classes share ("1" and "1.0") matches neither.
	var byValue map[float64]int
	for i, cl := range p.Target.Classes {
		v, err := strconv.ParseFloat(strings.TrimSpace(cl), 64)
		if err != nil || math.IsNaN(v) {
			continue
		}
		if byValue == nil {
			byValue = make(map[float64]int)
		}
		if _, dup := byValue[v]; dup {
			byValue[v] = -1
		} else {
			byValue[v] = i
		}
	}
	for i := range y {
		if c.IsMissing(i) {
			return nil, cellError(t, i, ci, "missing value in the target column")
		}
		if p.Target.Regression {
			if c.Kind != tabular.Numeric {
				return nil, fmt.Errorf("pipeline: %s: the regression target %q is categorical", t.Name, c.Name)
			}
			y[i] = float32(c.Numbers[i])
			continue
		}
		k, ok := index[c.Text(i)]
		if !ok && byValue != nil {
			if v, err := strconv.ParseFloat(c.Text(i), 64); err == nil {
				k, ok = byValue[v]
				ok = ok && k >= 0
			}
		}
		if !ok {
			return nil, cellError(t, i, ci, "unknown class %q (the classes are %s)", c.Text(i), listSome(p.Target.Classes))
		}
		y[i] = float32(k)
	}
	return y, nil
}

// Dataset returns the examples of t's rows, the features Transform gives
// with their targets: class labels (datasets.WithLabels), or a (N, 1)
// tensor of values for a regression.
func (p *Pipeline) Dataset(t *tabular.Table) (datasets.Dataset, error) {
	x, err := p.Transform(t)
	if err != nil {
		return nil, err
	}
	y, err := p.Targets(t)
	if err != nil {
		return nil, err
	}
	if p.Target.Regression {
		yt, err := tensor.FromSlice(y, len(y), 1)
		if err != nil {
			return nil, err
		}
		return datasets.FromTensors(x, yt)
	}
	labels := make([]int32, len(y))
	for i, v := range y {
		labels[i] = int32(v)
	}
	return datasets.WithLabels(x, labels)
}

// Validate checks a pipeline read from a file, so that Transform can
// trust it: 1 to 10,000 features with distinct names; numeric ones without
// categories and with a finite fill value; categorical ones with a known
// encoding and 1 to 100,000 sorted, distinct categories (at most 2²⁰
// features in all), a known handle_unknown and, when imputing, a fill
// category among them; a scaler of one finite mean and positive scale per
// feature; a target whose name is not a feature's, with 2 to 2²⁴ distinct
// classes or none for a regression.
func (p *Pipeline) Validate() error {
	if len(p.Features) == 0 || len(p.Features) > maxFeatures {
		return fmt.Errorf("pipeline: %d features, want 1 to %d", len(p.Features), maxFeatures)
	}
	switch p.Scale {
	case ScaleAll, ScaleNumeric, ScaleNone:
	default:
		return fmt.Errorf("pipeline: scale %q, want %q, %q or %q", p.Scale, ScaleAll, ScaleNumeric, ScaleNone)
	}
	names := make(map[string]bool, len(p.Features))
	width := 0
	for i := range p.Features {
		f := &p.Features[i]
		what := fmt.Sprintf("pipeline: feature %d (%q)", i+1, f.Name)
		if f.Name == "" || len(f.Name) > maxNameBytes {
			return fmt.Errorf("%s: a name of %d bytes, want 1 to %d", what, len(f.Name), maxNameBytes)
		}
		if names[f.Name] {
			return fmt.Errorf("%s: the name repeats an earlier feature's", what)
		}
		names[f.Name] = true
		if math.IsNaN(f.FillValue) || math.IsInf(f.FillValue, 0) {
			return fmt.Errorf("%s: fill_value %v, want a finite number", what, f.FillValue)
		}
		switch f.Kind {
		case kindNumeric:
			if f.Encoding != "" || f.Categories != nil || f.HandleUnknown != "" || f.FillCategory != "" {
				return fmt.Errorf("%s: a numeric feature with an encoding, categories, handle_unknown or fill_category", what)
			}
		case kindCategorical:
			if f.Encoding != OneHot && f.Encoding != Label {
				return fmt.Errorf("%s: encoding %q, want %q or %q", what, f.Encoding, OneHot, Label)
			}
			if err := (&OneHotEncoder{Categories: f.Categories, HandleUnknown: f.HandleUnknown}).Validate(); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			if f.FillValue != 0 {
				return fmt.Errorf("%s: a categorical feature with a fill_value", what)
			}
			if f.Impute && search(f.Categories, f.FillCategory) < 0 {
				return fmt.Errorf("%s: fill_category %q is not among the categories", what, f.FillCategory)
			}
			if !f.Impute && f.FillCategory != "" {
				return fmt.Errorf("%s: a fill_category without impute", what)
			}
		default:
			return fmt.Errorf("%s: kind %q, want %q or %q", what, f.Kind, kindNumeric, kindCategorical)
		}
		if width += f.width(); width > maxOutputs {
			return fmt.Errorf("pipeline: more than %d encoded features", maxOutputs)
		}
	}
	if err := p.Scaler.Validate(); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if len(p.Scaler.Mean) != width {
		return fmt.Errorf("pipeline: a scaler of %d features for %d encoded features", len(p.Scaler.Mean), width)
	}
	if tg := p.Target; tg != nil {
		if tg.Name == "" || len(tg.Name) > maxNameBytes {
			return fmt.Errorf("pipeline: target: a name of %d bytes, want 1 to %d", len(tg.Name), maxNameBytes)
		}
		if names[tg.Name] {
			return fmt.Errorf("pipeline: target %q is also a feature", tg.Name)
		}
		if tg.Regression {
			if tg.Classes != nil {
				return fmt.Errorf("pipeline: target %q: a regression with classes", tg.Name)
			}
		} else {
			if len(tg.Classes) < 2 || len(tg.Classes) > maxClasses {
				return fmt.Errorf("pipeline: target %q: %d classes, want 2 to %d", tg.Name, len(tg.Classes), maxClasses)
			}
			seen := make(map[string]bool, len(tg.Classes))
			for _, c := range tg.Classes {
				if len(c) > maxNameBytes || seen[c] {
					return fmt.Errorf("pipeline: target %q: class %q is too long or repeated", tg.Name, c)
				}
				seen[c] = true
			}
		}
	}
	return nil
}

// pipelineJSON is Pipeline without its methods, for decoding.
type pipelineJSON Pipeline

// maxContainers bounds the objects and arrays of a pipeline's JSON:
// two a feature (the feature and its categories), and the pipeline,
// its features, its scaler with its means and scales, and its target
// with its classes.
const maxContainers = 2*maxFeatures + 7

// UnmarshalJSON decodes a pipeline and validates it; unknown fields are
// errors. Its objects and arrays are counted first: "{}" decodes to a
// feature of 120 bytes, so that 64 MiB of them would cost gigabytes
// before Validate counted the features.
func (p *Pipeline) UnmarshalJSON(b []byte) error {
	if n := jsoncount.Count(b).Containers; n > maxContainers {
		return fmt.Errorf("pipeline: %d objects and arrays, more than a pipeline of at most %d features holds (%d)", n, maxFeatures, maxContainers)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var q pipelineJSON
	if err := dec.Decode(&q); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := (*Pipeline)(&q).Validate(); err != nil {
		return err
	}
	*p = Pipeline(q)
	return nil
}

// maxPipelineBytes bounds the JSON ParsePipeline reads.
const maxPipelineBytes = 64 << 20

// ParsePipeline reads a pipeline from its JSON form (as json.Marshal
// writes it), validated. It is an error for b to exceed 64 MiB, or to hold
// more objects and arrays than a pipeline of 10,000 features (two each,
// and seven more): they are counted before decoding. The strings and
// numbers cost up to about 20 times their bytes while they are decoded
// (a value of two or three bytes becomes one of 8 or 16 in a list grown by
// doubling).
func ParsePipeline(b []byte) (*Pipeline, error) {
	if len(b) > maxPipelineBytes {
		return nil, fmt.Errorf("pipeline: %d bytes of JSON, want at most %d", len(b), maxPipelineBytes)
	}
	var p Pipeline
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}
