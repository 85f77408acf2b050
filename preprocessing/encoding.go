package preprocessing

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tailor-ml/tailor/tensor"
)

// Limits on what encoders and pipelines hold, checked when they are read
// back from a file.
const (
	maxCategories = 100_000 // per column, as datasets/tabular's default
	maxOutputs    = 1 << 20 // features after encoding
	maxFeatures   = 10_000  // columns of a pipeline
	maxNameBytes  = 4096
)

// HandleUnknown says what an encoder does with a category it was not
// fitted on, as scikit-learn's handle_unknown.
type HandleUnknown string

// The choices for unknown categories.
const (
	// UnknownError makes an unknown category an error naming it (the
	// default, as in sklearn).
	UnknownError HandleUnknown = "error"
	// UnknownIgnore encodes an unknown category as all zeros (one-hot) or
	// −1 (label encoding), as sklearn's "ignore" and OrdinalEncoder's
	// unknown_value = −1.
	UnknownIgnore HandleUnknown = "ignore"
)

func (h HandleUnknown) valid() bool { return h == "" || h == UnknownError || h == UnknownIgnore }

// sortedUnique returns the distinct values, sorted as numpy.unique sorts
// strings (by code point, which is byte order in UTF-8).
func sortedUnique(values []string) []string {
	u := slices.Clone(values)
	slices.Sort(u)
	return slices.Compact(u)
}

// listSome quotes up to ten values, then says how many more there are.
func listSome(values []string) string {
	var b strings.Builder
	for i, v := range values {
		if i == 10 {
			fmt.Fprintf(&b, " and %d more", len(values)-10)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(v))
	}
	return b.String()
}

// checkCategories checks a list of categories read from a file: between 1
// and maxCategories, sorted and distinct (each after the one before it).
func checkCategories(what string, cats []string) error {
	if len(cats) == 0 || len(cats) > maxCategories {
		return fmt.Errorf("%s: %d categories, want 1 to %d", what, len(cats), maxCategories)
	}
	for i, c := range cats {
		if len(c) > maxNameBytes {
			return fmt.Errorf("%s: a category of %d bytes, want at most %d", what, len(c), maxNameBytes)
		}
		if i > 0 && c <= cats[i-1] {
			return fmt.Errorf("%s: category %q follows %q, want the categories sorted and distinct", what, c, cats[i-1])
		}
	}
	return nil
}

// search returns the index of value in the sorted cats, or −1.
func search(cats []string, value string) int {
	if i, ok := slices.BinarySearch(cats, value); ok {
		return i
	}
	return -1
}

// LabelEncoder is scikit-learn's LabelEncoder: it maps each of a sorted
// list of classes to its index, as the companion tutorial encodes Gender
// (Female 0, Male 1) and as a target column's classes become labels.
type LabelEncoder struct {
	// Classes are the known values, sorted; a value's code is its index.
	Classes []string `json:"classes"`
}

// FitLabelEncoder returns the encoder of the distinct values, sorted. It
// is an error for there to be none or more than 100,000.
func FitLabelEncoder(values []string) (*LabelEncoder, error) {
	e := &LabelEncoder{Classes: sortedUnique(values)}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// Code returns the index of value, or −1 and false when it is unknown.
func (e *LabelEncoder) Code(value string) (int, bool) {
	i := search(e.Classes, value)
	return i, i >= 0
}

// Validate checks an encoder read from a file: 1 to 100,000 classes,
// sorted and distinct.
func (e *LabelEncoder) Validate() error { return checkCategories("label encoder", e.Classes) }

// Transform returns the code of each value. An unknown value is an error
// naming it and the known classes.
func (e *LabelEncoder) Transform(values []string) ([]int, error) {
	codes := make([]int, len(values))
	for i, v := range values {
		c, ok := e.Code(v)
		if !ok {
			return nil, fmt.Errorf("label encoder: value %d is %q, an unknown class (the classes are %s)", i, v, listSome(e.Classes))
		}
		codes[i] = c
	}
	return codes, nil
}

// InverseTransform returns the class of each code. A code out of range is
// an error.
func (e *LabelEncoder) InverseTransform(codes []int) ([]string, error) {
	out := make([]string, len(codes))
	for i, c := range codes {
		if c < 0 || c >= len(e.Classes) {
			return nil, fmt.Errorf("label encoder: code %d is %d, want [0, %d)", i, c, len(e.Classes))
		}
		out[i] = e.Classes[c]
	}
	return out, nil
}

// OneHotEncoder is scikit-learn's OneHotEncoder for one column: a value
// becomes a row of len(Categories) features, 1 in the position of its
// category and 0 elsewhere, as the tutorial encodes Geography.
type OneHotEncoder struct {
	// Categories are the known values, sorted as sklearn's
	// categories='auto' sorts them.
	Categories []string `json:"categories"`
	// HandleUnknown chooses between an error (the default) and a row of
	// zeros for an unknown category.
	HandleUnknown HandleUnknown `json:"handle_unknown,omitempty"`
}

// FitOneHotEncoder returns the encoder of the distinct values, sorted. It
// is an error for there to be none or more than 100,000, or for handle to
// be other than "", UnknownError or UnknownIgnore.
func FitOneHotEncoder(values []string, handle HandleUnknown) (*OneHotEncoder, error) {
	e := &OneHotEncoder{Categories: sortedUnique(values), HandleUnknown: handle}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// Validate checks an encoder read from a file: 1 to 100,000 categories,
// sorted and distinct, and a known HandleUnknown.
func (e *OneHotEncoder) Validate() error {
	if !e.HandleUnknown.valid() {
		return fmt.Errorf("one-hot encoder: handle_unknown is %q, want %q or %q", e.HandleUnknown, UnknownError, UnknownIgnore)
	}
	return checkCategories("one-hot encoder", e.Categories)
}

// Transform returns the one-hot rows of the values, shaped (N, K) for K
// categories. An unknown value is an error naming it, unless
// HandleUnknown is UnknownIgnore.
func (e *OneHotEncoder) Transform(values []string) (*tensor.Tensor, error) {
	k := len(e.Categories)
	out := tensor.New(len(values), k)
	for i, v := range values {
		c := search(e.Categories, v)
		if c < 0 {
			if e.HandleUnknown == UnknownIgnore {
				continue
			}
			return nil, fmt.Errorf("one-hot encoder: value %d is %q, an unknown category (the categories are %s)", i, v, listSome(e.Categories))
		}
		out.Data[i*k+c] = 1
	}
	return out, nil
}

// FeatureNames returns the name of each output, "prefix_category", as
// sklearn's get_feature_names_out names them.
func (e *OneHotEncoder) FeatureNames(prefix string) []string {
	names := make([]string, len(e.Categories))
	for i, c := range e.Categories {
		names[i] = prefix + "_" + c
	}
	return names
}
