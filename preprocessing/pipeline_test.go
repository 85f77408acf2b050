package preprocessing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/datasets/tabular"
)

// churn is a few rows shaped like the companion tutorial's
// Churn_Modelling.csv.
const churn = `RowNumber,CustomerId,Surname,CreditScore,Geography,Gender,Age,Tenure,Balance,HasCrCard,Exited
1,15634602,Hargrave,619,France,Female,42,2,0,1,1
2,15647311,Hill,608,Spain,Female,41,1,83807.86,0,0
3,15619304,Onio,502,France,Female,42,8,159660.8,1,1
4,15701354,Boni,699,France,Female,39,1,0,0,0
5,15737888,Mitchell,850,Spain,Female,43,2,125510.82,1,0
6,15574012,Chu,645,Spain,Male,44,8,113755.78,1,1
7,15592531,Bartlett,822,France,Male,50,7,0,1,0
8,15656148,Obinna,376,Germany,Female,29,4,115046.74,1,1
`

func readTable(t *testing.T, name, text string, opts tabular.Options) *tabular.Table {
	t.Helper()
	tab, err := tabular.ReadCSV(strings.NewReader(text), name, opts)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func tutorialOptions() PipelineOptions {
	return PipelineOptions{
		Target:    "Exited",
		Drop:      []string{"RowNumber", "CustomerId", "Surname"},
		Encodings: map[string]Encoding{"Gender": Label},
	}
}

func TestPipelineTutorial(t *testing.T) {
	tab := readTable(t, "churn.csv", churn, tabular.Options{})
	p, err := FitPipeline(tab, tutorialOptions())
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"CreditScore", "Geography_France", "Geography_Germany", "Geography_Spain", "Gender", "Age", "Tenure", "Balance", "HasCrCard"}
	if got := p.FeatureNames(); !reflect.DeepEqual(got, wantNames) {
		t.Errorf("features %q, want %q", got, wantNames)
	}
	if got := p.ClassNames(); !reflect.DeepEqual(got, []string{"0", "1"}) {
		t.Errorf("classes %q", got)
	}
	ds, err := p.Dataset(tab)
	if err != nil {
		t.Fatal(err)
	}
	x, y, err := datasets.Materialize(ds)
	if err != nil {
		t.Fatal(err)
	}
	if !x.Shape.Equal([]int{8, 9}) || !reflect.DeepEqual(y.Data, []float32{1, 0, 1, 0, 0, 1, 0, 1}) {
		t.Fatalf("x %v, y %v", x.Shape, y.Data)
	}
	// Every feature is standardised on these rows: mean 0, variance 1.
	for j := range wantNames {
		var s, ss float64
		for i := 0; i < 8; i++ {
			v := float64(x.Data[i*9+j])
			s += v
			ss += v * v
		}
		if math.Abs(s/8) > 1e-6 || math.Abs(ss/8-1) > 1e-5 {
			t.Errorf("feature %s: mean %v, variance %v", wantNames[j], s/8, ss/8)
		}
	}
	// France is 4 rows of 8: mean 0.5, scale 0.5, so France → 1, else −1.
	// Gender is label-encoded (Female 0, Male 1), 2 Male of 8: mean 0.25,
	// scale √(0.25·0.75).
	for i, want := range []float32{1, -1, 1, 1, -1, -1, 1, -1} {
		if got := x.Data[i*9+1]; math.Abs(float64(got-want)) > 1e-6 {
			t.Errorf("row %d Geography_France %v, want %v", i, got, want)
		}
	}
	if got, want := x.Data[5*9+4], float32(0.75/math.Sqrt(0.1875)); math.Abs(float64(got-want)) > 1e-6 {
		t.Errorf("row 5 Gender %v, want %v", got, want)
	}

	// The JSON form reads back to a pipeline that transforms the same.
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePipeline(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	x2, err := back.Transform(tab)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(x2.Data, x.Data) {
		t.Error("the pipeline read back from JSON transforms differently")
	}

	// New rows, as for predict: columns in another order, no target, no
	// dropped columns, read with the pipeline's CSV options.
	rows := "Gender,Age,Geography,CreditScore,Tenure,Balance,HasCrCard,Comment\n" +
		"Male,44,Spain,645,8,113755.78,1,same as row 6\n"
	nt := readTable(t, "rows.csv", rows, p.CSVOptions())
	xn, err := back.Transform(nt)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(xn.Data, x.Data[5*9:6*9]) {
		t.Errorf("new row %v, want row 6's %v", xn.Data, x.Data[5*9:6*9])
	}
}

func TestPipelinePredictErrors(t *testing.T) {
	tab := readTable(t, "churn.csv", churn, tabular.Options{})
	p, err := FitPipeline(tab, tutorialOptions())
	if err != nil {
		t.Fatal(err)
	}
	const header = "CreditScore,Geography,Gender,Age,Tenure,Balance,HasCrCard\n"
	tests := []struct {
		name, rows string
		opts       *tabular.Options // nil: the pipeline's
		line, col  int
		want       string
	}{
		{"unknown category", header + "600,France,Male,40,3,0,1\n600,Italy,Male,40,3,0,1\n", nil, 3, 2,
			`rows.csv:3: column 2 "Geography": unknown category "Italy" (the model knows "France", "Germany", "Spain"; fit with PipelineOptions.HandleUnknown = "ignore"`},
		{"unknown label-encoded category", header + "600,France,Other,40,3,0,1\n", nil, 2, 3, `column 3 "Gender": unknown category "Other"`},
		{"missing number", header + "600,France,Male,,3,0,1\n", nil, 2, 4, `rows.csv:2: column 4 "Age": missing value, and the model's preprocessing does not impute`},
		{"missing category", header + "600,NA,Male,40,3,0,1\n", nil, 2, 2, `column 2 "Geography": missing value`},
		{"missing column", "CreditScore,Geography,Gender,Age,Tenure,Balance\n600,France,Male,40,3,0\n", &tabular.Options{}, 0, 0, `no column "HasCrCard", which the model's feature 7 is`},
		{"categorical read as numeric", "CreditScore,Geography,Gender,Age,Tenure,Balance,HasCrCard\n600,1,Male,40,3,0,1\n",
			&tabular.Options{Kinds: map[string]tabular.Kind{"Geography": tabular.Numeric}}, 0, 2, `column 2 "Geography": the column is numeric, the model's feature is categorical (read the file with the pipeline's CSVOptions)`},
		{"numeric read as categorical", header + "600,France,Male,40,3,0,1\n",
			&tabular.Options{Kinds: map[string]tabular.Kind{"Age": tabular.Categorical}}, 0, 4, `column 4 "Age": the column is categorical, the model's feature is numeric`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := p.CSVOptions()
			if tt.opts != nil {
				opts = *tt.opts
				opts.Missing = tabular.MissingKeep
			}
			nt := readTable(t, "rows.csv", tt.rows, opts)
			_, err := p.Transform(nt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			var e *tabular.Error
			if tt.line > 0 || tt.col > 0 {
				if !errors.As(err, &e) || e.Line != tt.line || e.Column != tt.col {
					t.Errorf("error %#v, want line %d column %d", e, tt.line, tt.col)
				}
			}
		})
	}
	// A class the target never had in fitting.
	test := readTable(t, "test.csv", header[:len(header)-1]+",Exited\n600,France,Male,40,3,0,1,2\n", tabular.Options{})
	if _, err := p.Targets(test); err == nil || !strings.Contains(err.Error(), `test.csv:2: column 8 "Exited": unknown class "2" (the classes are "0", "1")`) {
		t.Errorf("unknown class: %v", err)
	}
}

func TestPipelineImputeAndIgnore(t *testing.T) {
	text := "Age,Geography,y\n20,France,a\n,Spain,b\n40,France,a\n60,,b\n"
	tab := readTable(t, "m.csv", text, tabular.Options{Missing: tabular.MissingKeep})
	if _, err := FitPipeline(tab, PipelineOptions{Target: "y"}); err == nil || !strings.Contains(err.Error(), `m.csv:3: column 1 "Age": missing value in a feature column (set PipelineOptions.Impute`) {
		t.Errorf("missing without Impute: %v", err)
	}
	p, err := FitPipeline(tab, PipelineOptions{Target: "y", Impute: true, HandleUnknown: UnknownIgnore, Scale: ScaleNone})
	if err != nil {
		t.Fatal(err)
	}
	if f := p.Features[0]; f.FillValue != 40 {
		t.Errorf("Age fill %v, want the mean of 20, 40, 60", f.FillValue)
	}
	if f := p.Features[1]; f.FillCategory != "France" {
		t.Errorf("Geography fill %q, want the most frequent, France", f.FillCategory)
	}
	nt := readTable(t, "rows.csv", "Age,Geography\n,Italy\n30,\n", p.CSVOptions())
	x, err := p.Transform(nt)
	if err != nil {
		t.Fatal(err)
	}
	// Age filled with 40, Italy unknown → zeros; a missing category →
	// France.
	if want := []float32{40, 0, 0, 30, 1, 0}; !reflect.DeepEqual(x.Data, want) {
		t.Errorf("features %v, want %v", x.Data, want)
	}
}

func TestPipelineScaleNumericAndRegression(t *testing.T) {
	text := "size,colour,price\n1,red,10\n2,blue,20\n3,red,30\n4,blue,45.5\n"
	tab := readTable(t, "p.csv", text, tabular.Options{})
	p, err := FitPipeline(tab, PipelineOptions{Target: "price", Regression: true, Scale: ScaleNumeric})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := p.Dataset(tab)
	if err != nil {
		t.Fatal(err)
	}
	x, y, err := datasets.Materialize(ds)
	if err != nil {
		t.Fatal(err)
	}
	if !y.Shape.Equal([]int{4, 1}) || y.Data[3] != 45.5 {
		t.Errorf("targets %v %v", y.Shape, y.Data)
	}
	// The one-hot columns (blue, red) stay 0/1; size is standardised.
	if x.Data[1] != 0 || x.Data[2] != 1 || x.Data[4] != 1 || math.Abs(float64(x.Data[0])+1.3416408) > 1e-6 {
		t.Errorf("features %v", x.Data)
	}
	if p.ClassNames() != nil {
		t.Errorf("a regression's classes: %q", p.ClassNames())
	}
	// A categorical regression target, and too few classes.
	if _, err := FitPipeline(tab, PipelineOptions{Target: "colour", Regression: true}); err == nil || !strings.Contains(err.Error(), "the regression target \"colour\" is categorical") {
		t.Errorf("categorical regression target: %v", err)
	}
	one := readTable(t, "o.csv", "x,y\n1,a\n2,a\n", tabular.Options{})
	if _, err := FitPipeline(one, PipelineOptions{Target: "y"}); err == nil || !strings.Contains(err.Error(), "has 1 class") {
		t.Errorf("one class: %v", err)
	}
}

func TestPipelineFitErrors(t *testing.T) {
	tab := readTable(t, "churn.csv", churn, tabular.Options{})
	for _, tt := range []struct {
		opts PipelineOptions
		want string
	}{
		{PipelineOptions{Target: "Churned"}, `target: churn.csv: no column "Churned"`},
		{PipelineOptions{Target: "Exited", Features: []string{"Age", "Exited"}}, `"Exited" is both the target and a feature`},
		{PipelineOptions{Target: "Exited", Features: []string{"Age", "Age"}}, `feature "Age" is listed twice`},
		{PipelineOptions{Target: "Exited", Drop: []string{"Row"}}, `drop: churn.csv: no column "Row"`},
		{PipelineOptions{Target: "Exited", Encodings: map[string]Encoding{"Age": OneHot}}, `gives "Age" the encoding "one_hot", but the column is numeric`},
		{PipelineOptions{Target: "Exited", Encodings: map[string]Encoding{"Gender": "binary"}}, `encoding "binary"`},
		{PipelineOptions{Target: "Exited", Encodings: map[string]Encoding{"Gender": Label}, Drop: []string{"Gender"}}, `Encodings names "Gender", which is not a categorical feature column`},
		{PipelineOptions{Scale: "minmax"}, `scale mode "minmax"`},
	} {
		if _, err := FitPipeline(tab, tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.opts, err, tt.want)
		}
	}
}

// TestParsePipelineHostile edits a valid pipeline's JSON into values a
// hostile or corrupt file could hold; each must be refused.
func TestParsePipelineHostile(t *testing.T) {
	tab := readTable(t, "churn.csv", churn, tabular.Options{})
	p, err := FitPipeline(tab, tutorialOptions())
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(p)
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(good, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	feature := func(m map[string]any, i int) map[string]any { return m["features"].([]any)[i].(map[string]any) }
	tests := []struct {
		name string
		json []byte
		want string
	}{
		{"not JSON", []byte("{"), "unexpected end"},
		{"unknown field", edit(func(m map[string]any) { m["exec"] = "rm -rf /" }), `unknown field "exec"`},
		{"no features", edit(func(m map[string]any) { m["features"] = []any{} }), "0 features, want 1 to 10000"},
		{"bad kind", edit(func(m map[string]any) { feature(m, 0)["kind"] = "text" }), `kind "text"`},
		{"empty name", edit(func(m map[string]any) { feature(m, 0)["name"] = "" }), "a name of 0 bytes"},
		{"repeated name", edit(func(m map[string]any) { feature(m, 1)["name"] = "CreditScore" }), "repeats an earlier feature's"},
		{"unsorted categories", edit(func(m map[string]any) {
			feature(m, 1)["categories"] = []any{"Spain", "France", "Germany"}
		}), `category "France" follows "Spain"`},
		{"no categories", edit(func(m map[string]any) { feature(m, 1)["categories"] = []any{} }), "0 categories"},
		{"bad encoding", edit(func(m map[string]any) { feature(m, 1)["encoding"] = "hash" }), `encoding "hash"`},
		{"bad handle_unknown", edit(func(m map[string]any) { feature(m, 1)["handle_unknown"] = "guess" }), `handle_unknown is "guess"`},
		{"numeric with categories", edit(func(m map[string]any) { feature(m, 0)["categories"] = []any{"a"} }), "a numeric feature with an encoding, categories"},
		{"fill category unknown", edit(func(m map[string]any) {
			feature(m, 1)["impute"] = true
			feature(m, 1)["fill_category"] = "Italy"
		}), `fill_category "Italy" is not among the categories`},
		{"scaler too short", edit(func(m map[string]any) {
			s := m["scaler"].(map[string]any)
			s["mean"] = s["mean"].([]any)[:3]
			s["scale"] = s["scale"].([]any)[:3]
		}), "a scaler of 3 features for 9 encoded features"},
		{"zero scale", edit(func(m map[string]any) { m["scaler"].(map[string]any)["scale"].([]any)[0] = 0 }), "scale 0 is 0, want a finite positive number"},
		{"huge number", []byte(strings.Replace(string(good), `"mean":[`, `"mean":[1e400,`, 1)), "cannot unmarshal number 1e400"},
		{"bad scale mode", edit(func(m map[string]any) { m["scale"] = "" }), `scale "", want`},
		{"target is a feature", edit(func(m map[string]any) { m["target"].(map[string]any)["name"] = "Age" }), `target "Age" is also a feature`},
		{"one class", edit(func(m map[string]any) { m["target"].(map[string]any)["classes"] = []any{"0"} }), "1 classes, want 2"},
		{"repeated class", edit(func(m map[string]any) { m["target"].(map[string]any)["classes"] = []any{"0", "0"} }), `class "0" is too long or repeated`},
		{"regression with classes", edit(func(m map[string]any) { m["target"].(map[string]any)["regression"] = true }), "a regression with classes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParsePipeline(tt.json); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := ParsePipeline(make([]byte, 65<<20)); err == nil || !strings.Contains(err.Error(), "want at most") {
		t.Errorf("65 MiB: %v", err)
	}
}

// TestPipelineTargetsByValue: a target fitted as categorical codes ("01",
// "02", declared Categorical) is found by its value when new rows are
// read with CSVOptions, which infers the target column as numbers, and a
// numeric target's classes are found from text such as "1.0"; a value two
// classes share, or none has, is an unknown class.
func TestPipelineTargetsByValue(t *testing.T) {
	const fit = "x,y\n1,01\n2,02\n3,01\n4,02\n"
	tab := readTable(t, "fit.csv", fit, tabular.Options{Kinds: map[string]tabular.Kind{"y": tabular.Categorical}})
	p, err := FitPipeline(tab, PipelineOptions{Target: "y"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.ClassNames(), []string{"01", "02"}) {
		t.Fatalf("classes %q", p.ClassNames())
	}
	again := readTable(t, "new.csv", "x,y\n5,2\n6,1\n7,2.0\n", p.CSVOptions())
	y, err := p.Targets(again)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(y, []float32{1, 0, 1}) {
		t.Errorf("targets %v, want [1 0 1]", y)
	}
	// Classes "1" and "1.0" both mean 1: the number matches neither.
	amb := readTable(t, "amb.csv", "x,y\n1,1\n2,1.0\n3,2\n", tabular.Options{Kinds: map[string]tabular.Kind{"y": tabular.Categorical}})
	pa, err := FitPipeline(amb, PipelineOptions{Target: "y"})
	if err != nil {
		t.Fatal(err)
	}
	if y, err := pa.Targets(readTable(t, "new.csv", "x,y\n1,1.0\n2,2\n", tabular.Options{Kinds: map[string]tabular.Kind{"y": tabular.Categorical}})); err != nil || !reflect.DeepEqual(y, []float32{1, 2}) {
		t.Errorf("categorical 1.0 and 2: %v, %v; want [1 2]", y, err)
	}
	if _, err := pa.Targets(readTable(t, "new.csv", "x,y\n1,01\n", tabular.Options{Kinds: map[string]tabular.Kind{"y": tabular.Categorical}})); err == nil || !strings.Contains(err.Error(), `unknown class "01"`) {
		t.Errorf("01 among classes 1 and 1.0: %v, want an unknown class", err)
	}
	if _, err := p.Targets(readTable(t, "new.csv", "x,y\n1,3\n", p.CSVOptions())); err == nil || !strings.Contains(err.Error(), `new.csv:2: column 2 "y": unknown class "3"`) {
		t.Errorf("class 3: %v", err)
	}
	// A numeric target holding -0 and 0 has the one class "0".
	zeros := readTable(t, "zeros.csv", "x,y\n1,-0\n2,0\n3,1\n", tabular.Options{})
	pz, err := FitPipeline(zeros, PipelineOptions{Target: "y"})
	if err != nil {
		t.Fatal(err)
	}
	if y, err := pz.Targets(zeros); !reflect.DeepEqual(pz.ClassNames(), []string{"0", "1"}) || err != nil || !reflect.DeepEqual(y, []float32{0, 0, 1}) {
		t.Errorf("-0, 0 and 1: classes %q, targets %v, %v; want [0 1] and [0 0 1]", pz.ClassNames(), y, err)
	}
}

// TestPipelineEncodedLimit: an identifier column left among the features
// (an e-mail address a row, 20,000 rows) one-hot encodes to 20,000
// features, a 20,000 × 20,000 matrix of 1.6 GB; FitPipeline and Transform
// refuse it before allocating, naming the file, the sizes and the column,
// where they used to allocate it (or die trying, for larger tables).
func TestPipelineEncodedLimit(t *testing.T) {
	const n = 20_000
	var b strings.Builder
	b.WriteString("email,age,y\n")
	for i := range n {
		fmt.Fprintf(&b, "user%d@example.com,%d,%d\n", i, 20+i%50, i%2)
	}
	tab := readTable(t, "users.csv", b.String(), tabular.Options{})
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := FitPipeline(tab, PipelineOptions{Target: "y"})
	runtime.ReadMemStats(&after)
	want := `pipeline: users.csv: 20000 rows of 20001 encoded features are 400020000 values, more than the limit of 268435456 (1 GiB of float32): column "email" alone gives 20000 one-hot features, one per distinct value`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("FitPipeline: %v, want an error containing %q", err, want)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("FitPipeline allocated %d MB before refusing", grew>>20)
	}
	// A pipeline of that width (as a file may hold) refuses to transform
	// as many rows.
	email, _ := tab.Column("email")
	p := &Pipeline{
		Features: []Feature{{Name: "email", Kind: kindCategorical, Encoding: OneHot, Categories: sortedUnique(email.Levels), HandleUnknown: UnknownError}},
		Scale:    ScaleNone,
		Scaler:   StandardScaler{Mean: make([]float64, n), Scale: make([]float64, n)},
	}
	for j := range p.Scaler.Scale {
		p.Scaler.Scale[j] = 1
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Transform(tab); err == nil || !strings.Contains(err.Error(), "20000 rows of 20000 encoded features are 400000000 values, more than the limit") {
		t.Errorf("Transform: %v, want the limit", err)
	}
	if x, err := p.Transform(readTable(t, "one.csv", "email\nuser7@example.com\n", p.CSVOptions())); err != nil || x.Data[sort.SearchStrings(p.Features[0].Categories, "user7@example.com")] != 1 {
		t.Errorf("Transform of one row: %v", err)
	}
	// Dropping the column fits.
	if _, err := FitPipeline(tab, PipelineOptions{Target: "y", Drop: []string{"email"}}); err != nil {
		t.Errorf("without the e-mail column: %v", err)
	}
}

// TestFitPipelineEncodingsErrorRepeats: with several columns in
// PipelineOptions.Encodings that are not categorical features, the error
// names the first in sorted order, the same on every run.
func TestFitPipelineEncodingsErrorRepeats(t *testing.T) {
	tab, err := tabular.ReadCSV(strings.NewReader("a,b,c,d\nx,1,2,3\ny,4,5,6\n"), "t.csv", tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	enc := map[string]Encoding{"zz": Label, "b": Label, "nope": Label, "c": Label}
	for range 32 {
		_, err := FitPipeline(tab, PipelineOptions{Encodings: enc, Features: []string{"a"}})
		if err == nil || !strings.Contains(err.Error(), `PipelineOptions.Encodings names "b", which is not a categorical feature column`) {
			t.Fatalf("error %v, want one naming \"b\"", err)
		}
	}
}

// TestParsePipelineContainersBounded: the objects and arrays of a
// pipeline's JSON are counted before it is decoded. A feature decodes to
// a struct of 120 bytes, so 2 MiB of "{}," would cost 80 MB (64 MiB, the
// most ParsePipeline reads, over 2 GB) before Validate refused their
// number; a pipeline of 10,000 features holds two each at most (the
// feature and its categories) and a few more. A pipeline of that many
// features still parses.
func TestParsePipelineContainersBounded(t *testing.T) {
	hostile := func(prefix, elem, suffix string) []byte {
		var b bytes.Buffer
		b.WriteString(prefix)
		b.WriteString(elem)
		for b.Len() < 2<<20 {
			b.WriteString("," + elem)
		}
		b.WriteString(suffix)
		return b.Bytes()
	}
	for _, tt := range []struct {
		name string
		json []byte
	}{
		{"features", hostile(`{"features":[`, `{}`, `]}`)},
		{"lists in a category list", hostile(`{"features":[{"name":"a","kind":"categorical","categories":[`, `[]`, `]}]}`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := ParsePipeline(tt.json)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "objects and arrays, more than") {
				t.Errorf("error %.300v, want one counting the objects and arrays", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
				t.Errorf("allocated %d bytes to refuse %d bytes of JSON", alloc, len(tt.json))
			}
		})
	}
	// The most features a pipeline has, each categorical, parse.
	p := &Pipeline{Scale: ScaleNone}
	for i := range maxFeatures {
		p.Features = append(p.Features, Feature{Name: fmt.Sprint("c", i), Kind: kindCategorical, Encoding: Label, Categories: []string{"a", "b"}, HandleUnknown: UnknownIgnore})
		p.Scaler.Mean, p.Scaler.Scale = append(p.Scaler.Mean, 0), append(p.Scaler.Scale, 1)
	}
	p.Target = &Target{Name: "y", Classes: []string{"0", "1"}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := ParsePipeline(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Features) != maxFeatures || q.Features[maxFeatures-1].Name != "c9999" {
		t.Errorf("parsed %d features", len(q.Features))
	}
}
