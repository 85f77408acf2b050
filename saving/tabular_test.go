package saving

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets/tabular"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/tensor"
)

const customers = `Age,Country,Balance,Exited
42,France,0,1
41,Spain,83807.86,0
42,France,159660.8,1
39,France,0,0
43,Spain,125510.82,0
44,Spain,113755.78,1
50,France,0,0
29,Germany,115046.74,1
`

// tableModel fits the pipeline of the customers table and returns it
// with a compiled binary classifier (Dense(1, sigmoid)) of its width.
func tableModel(t *testing.T) (*preprocessing.Pipeline, *tabular.Table, *tailor.Model) {
	t.Helper()
	tb, err := tabular.ReadCSV(strings.NewReader(customers), "customers.csv", tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := preprocessing.FitPipeline(tb, preprocessing.PipelineOptions{Target: "Exited", Scale: preprocessing.ScaleNumeric})
	if err != nil {
		t.Fatal(err)
	}
	m := tailor.Sequential(layers.Dense(4, activations.ReLU), layers.Dense(1, activations.Sigmoid))
	m.SetSeed(5)
	if err := m.Compile(optimizers.Adam(), losses.BinaryCrossentropy(), metrics.BinaryAccuracy()); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(len(p.FeatureNames())); err != nil {
		t.Fatal(err)
	}
	return p, tb, m
}

// TestTabularRoundTrip saves a table's pipeline with a binary classifier
// (one sigmoid output, two class names) and loads it back: the same
// pipeline, which transforms rows to the same features, and the same
// predictions.
func TestTabularRoundTrip(t *testing.T) {
	p, tb, m := tableModel(t)
	meta := Table(p)
	if !slices.Equal(meta.ClassNames, []string{"0", "1"}) {
		t.Fatalf("class names %q", meta.ClassNames)
	}
	b := saved(t, m, meta)
	got, gotMeta, err := loadBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if gotMeta.Tabular == nil || !reflect.DeepEqual(*gotMeta.Tabular, *p) {
		t.Fatalf("pipeline %+v, want %+v", gotMeta.Tabular, p)
	}
	if !slices.Equal(gotMeta.ClassNames, meta.ClassNames) || gotMeta.Preprocessing != nil {
		t.Errorf("meta %+v", gotMeta)
	}
	x, err := p.Transform(tb)
	if err != nil {
		t.Fatal(err)
	}
	x2, err := gotMeta.Tabular.Transform(tb)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x.Data, x2.Data) {
		t.Error("the loaded pipeline transforms the rows differently")
	}
	samePredictions(t, m, got, x)
	// Saved twice, the same bytes.
	if b2 := saved(t, got, gotMeta); string(b2) != string(b) {
		t.Error("saving the loaded model gives different bytes")
	}
}

// TestTabularRefused: a pipeline that does not fit the model, or a hostile
// one in config.json, is refused on save or on load with an error naming
// config.json and the field.
func TestTabularRefused(t *testing.T) {
	p, _, m := tableModel(t)

	// On save: three class names for one output; a pipeline of another width.
	if err := SaveTo(new(strings.Builder), m, Meta{ClassNames: []string{"a", "b", "c"}, Tabular: p}); err == nil || !strings.Contains(err.Error(), "3 class names for outputs of shape (1,)") {
		t.Errorf("3 class names for a sigmoid: %v", err)
	}
	narrow := *p
	narrow.Features = p.Features[:1]
	narrow.Scaler = preprocessing.StandardScaler{Mean: p.Scaler.Mean[:1], Scale: p.Scaler.Scale[:1]}
	if err := SaveTo(new(strings.Builder), m, Table(&narrow)); err == nil || !strings.Contains(err.Error(), "the pipeline gives 1 features, but the model's input shape is (5,)") {
		t.Errorf("a narrow pipeline: %v", err)
	}
	if err := SaveTo(new(strings.Builder), m, Meta{ClassNames: []string{"stayed", "left"}, Tabular: p}); err == nil || !strings.Contains(err.Error(), "are not the class names") {
		t.Errorf("class names other than the target's: %v", err)
	}

	good := saved(t, m, Table(p))
	_, e := entries(t, good)
	tabularOf := func(c map[string]any) map[string]any { return c["tabular"].(map[string]any) }
	feature := func(c map[string]any, i int) map[string]any {
		return tabularOf(c)["features"].([]any)[i].(map[string]any)
	}
	tests := []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"null", func(c map[string]any) { c["tabular"] = nil }, "0 features"},
		{"a list", func(c map[string]any) { c["tabular"] = []any{1, 2} }, "cannot unmarshal array"},
		{"unknown field", func(c map[string]any) { tabularOf(c)["shell"] = "rm -rf /" }, `unknown field "shell"`},
		{"unknown kind", func(c map[string]any) { feature(c, 0)["kind"] = "complex" }, `kind "complex"`},
		{"negative scale", func(c map[string]any) { tabularOf(c)["scaler"].(map[string]any)["scale"].([]any)[0] = -1.0 }, "scale"},
		{"unsorted categories", func(c map[string]any) { feature(c, 1)["categories"] = []any{"Spain", "France", "Germany"} }, "sorted"},
		{"repeated feature", func(c map[string]any) { feature(c, 2)["name"] = "Age" }, "repeats"},
		{"unknown handle_unknown", func(c map[string]any) { feature(c, 1)["handle_unknown"] = "guess" }, "guess"},
		{"one class", func(c map[string]any) { tabularOf(c)["target"].(map[string]any)["classes"] = []any{"0"} }, "1 classes"},
		{"a feature fewer", func(c map[string]any) {
			tb := tabularOf(c)
			tb["features"] = tb["features"].([]any)[1:]
			sc := tb["scaler"].(map[string]any)
			sc["mean"], sc["scale"] = sc["mean"].([]any)[1:], sc["scale"].([]any)[1:]
		}, "the pipeline gives 4 features, but the model's input shape is (5,)"},
		{"other classes", func(c map[string]any) { tabularOf(c)["target"].(map[string]any)["classes"] = []any{"no", "yes"} }, "are not the class names"},
		{"with image preprocessing", func(c map[string]any) { c["preprocessing"] = map[string]any{"rescale": 1} }, "both tabular and image preprocessing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := editConfig(t, e[configEntry], tc.edit)
			_, _, err := loadBytes(archive(configEntry, cfg, weightsEntry, e[weightsEntry], optimizerEntry, e[optimizerEntry]))
			if err == nil {
				t.Fatal("loaded")
			}
			if !strings.Contains(err.Error(), "config.json") || !strings.Contains(err.Error(), "tabular") && tc.name != "with image preprocessing" || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want one naming config.json, tabular and %q", err, tc.want)
			}
		})
	}
}

// TestImageFolderPreprocessing round-trips an image folder's colour mode
// and interpolation, and refuses ones that are unknown or that do not
// match the model's input channels.
func TestImageFolderPreprocessing(t *testing.T) {
	m := tailor.Sequential(layers.Flatten(), layers.Dense(2, activations.Softmax))
	m.SetSeed(1)
	if err := m.Build(4, 4, 3); err != nil {
		t.Fatal(err)
	}
	meta := ImageFolder([]string{"cats", "dogs"}, ColorRGB, preprocessing.Bilinear, 1.0/255)
	good := saved(t, m, meta)
	got, gotMeta, err := loadBytes(good)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotMeta.Preprocessing, meta.Preprocessing) {
		t.Errorf("preprocessing %+v, want %+v", gotMeta.Preprocessing, meta.Preprocessing)
	}
	x := tensor.New(1, 4, 4, 3)
	samePredictions(t, m, got, x)
	if _, err := got.Predict(context.Background(), x, tailor.PredictOptions{}); err != nil {
		t.Fatal(err)
	}

	gray := ImageFolder([]string{"cats", "dogs"}, ColorGrayscale, preprocessing.Bilinear, 1.0/255)
	if err := SaveTo(new(strings.Builder), m, gray); err == nil || !strings.Contains(err.Error(), `color_mode "grayscale" gives images of 1 channels, but the model's input shape is (4, 4, 3)`) {
		t.Errorf("grayscale for an RGB model: %v", err)
	}

	_, e := entries(t, good)
	pre := func(c map[string]any) map[string]any { return c["preprocessing"].(map[string]any) }
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"unknown colour mode", func(c map[string]any) { pre(c)["color_mode"] = "cmyk" }, `color_mode "cmyk"`},
		{"unknown interpolation", func(c map[string]any) { pre(c)["interpolation"] = "bicubic" }, `interpolation "bicubic"`},
		{"interpolation alone", func(c map[string]any) { delete(pre(c), "color_mode") }, "without a color_mode"},
		{"inverted", func(c map[string]any) { pre(c)["polarity"] = PolarityDarkOnLight }, "are not inverted"},
		{"channels", func(c map[string]any) { pre(c)["color_mode"] = ColorGrayscale }, "want (height, width, 1)"},
	} {
		cfg := editConfig(t, e[configEntry], tc.edit)
		_, _, err := loadBytes(archive(configEntry, cfg, weightsEntry, e[weightsEntry]))
		if err == nil || !strings.Contains(err.Error(), "config.json") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming config.json and %q", tc.name, err, tc.want)
		}
	}
}
