package preprocessing

import (
	"reflect"
	"strings"
	"testing"
)

func TestLabelEncoder(t *testing.T) {
	e, err := FitLabelEncoder([]string{"Male", "Female", "Male"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e.Classes, []string{"Female", "Male"}) {
		t.Errorf("classes %q", e.Classes)
	}
	codes, err := e.Transform([]string{"Female", "Male", "Male"})
	if err != nil || !reflect.DeepEqual(codes, []int{0, 1, 1}) {
		t.Errorf("codes %v, %v", codes, err)
	}
	back, err := e.InverseTransform([]int{1, 0})
	if err != nil || !reflect.DeepEqual(back, []string{"Male", "Female"}) {
		t.Errorf("inverse %q, %v", back, err)
	}
	if _, err := e.Transform([]string{"Male", "Other"}); err == nil || !strings.Contains(err.Error(), `value 1 is "Other", an unknown class (the classes are "Female", "Male")`) {
		t.Errorf("unknown: %v", err)
	}
	if _, err := e.InverseTransform([]int{2}); err == nil {
		t.Error("code 2 of 2 classes accepted")
	}
	if _, err := FitLabelEncoder(nil); err == nil {
		t.Error("no values accepted")
	}
	if err := (&LabelEncoder{Classes: []string{"b", "a"}}).Validate(); err == nil || !strings.Contains(err.Error(), "sorted and distinct") {
		t.Errorf("unsorted classes: %v", err)
	}
}

func TestOneHotEncoder(t *testing.T) {
	e, err := FitOneHotEncoder([]string{"France", "Spain", "Germany", "France"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e.Categories, []string{"France", "Germany", "Spain"}) {
		t.Errorf("categories %q", e.Categories)
	}
	x, err := e.Transform([]string{"Spain", "France"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(x.Data, []float32{0, 0, 1, 1, 0, 0}) || !x.Shape.Equal([]int{2, 3}) {
		t.Errorf("one-hot %v %v", x.Shape, x.Data)
	}
	if _, err := e.Transform([]string{"Italy"}); err == nil || !strings.Contains(err.Error(), `value 0 is "Italy", an unknown category (the categories are "France", "Germany", "Spain")`) {
		t.Errorf("unknown: %v", err)
	}
	e.HandleUnknown = UnknownIgnore
	x, err = e.Transform([]string{"Italy", "Germany"})
	if err != nil || !reflect.DeepEqual(x.Data, []float32{0, 0, 0, 0, 1, 0}) {
		t.Errorf("ignored unknown: %v, %v", x.Data, err)
	}
	if got := e.FeatureNames("Geography"); !reflect.DeepEqual(got, []string{"Geography_France", "Geography_Germany", "Geography_Spain"}) {
		t.Errorf("names %q", got)
	}
	if _, err := FitOneHotEncoder([]string{"a"}, "skip"); err == nil {
		t.Error(`handle_unknown "skip" accepted`)
	}
	if err := (&OneHotEncoder{Categories: []string{"a", "a"}}).Validate(); err == nil {
		t.Error("repeated category accepted")
	}
	// Eleven and more categories are listed in part.
	many := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}
	if got := listSome(many); !strings.HasSuffix(got, `"j" and 2 more`) {
		t.Errorf("listSome: %s", got)
	}
}
