package layers

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/activations"
)

// throughJSON returns cfg as a model file holds it and reads it back.
func throughJSON(t *testing.T, cfg map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFromConfigRoundTrip rebuilds every layer type from its Config, as
// loading a model file does, and gets the same Config back.
func TestFromConfigRoundTrip(t *testing.T) {
	for _, l := range []Layer{
		Dense(10, activations.Softmax),
		func() Layer { d := Dense(3, ""); d.useBias = false; return d }(),
		Activation(activations.ReLU),
		Activation(activations.Softmax),
		Flatten(),
		Flatten(28, 28),
		Conv2D(32, [2]int{3, 3}, Conv2DOptions{Padding: Same, Activation: activations.ReLU, InputShape: []int{28, 28, 1}}),
		Conv2D(8, [2]int{5, 3}, Conv2DOptions{Strides: [2]int{2, 1}, NoBias: true}),
		Conv2D(16, [2]int{3, 3}, Conv2DOptions{DType: MixedBFloat16}),
		MaxPooling2D([2]int{2, 2}),
		MaxPooling2D([2]int{3, 3}, PoolOptions{Strides: [2]int{2, 2}, Padding: Same}),
		AveragePooling2D([2]int{2, 2}),
		GlobalAveragePooling2D(),
		Dropout(0.3),
		BatchNormalization(),
		BatchNormalization(BatchNormOptions{Momentum: 0.9, Epsilon: 1e-5, InputShape: []int{10}}),
		Reshape(28, 28, 1),
		Reshape(-1, 4),
		RandomFlip(Horizontal),
		RandomFlip(Vertical, 28, 28),
		RandomTranslation(0.1, 0.2),
		RandomTranslation(0.1, 0, TranslationOptions{FillMode: FillConstant, FillValue: 0.25, InputShape: []int{28, 28}}),
		RandomErasing(0.5),
		RandomErasing(1, ErasingOptions{Scale: [2]float64{0.1, 0.2}, Ratio: [2]float64{0.5, 2}, FillValue: 0.5, InputShape: []int{28, 28}}),
	} {
		l.SetName("layer_" + strings.ToLower(l.Type()))
		got, err := FromConfig(l.Type(), throughJSON(t, l.Config()))
		if err != nil {
			t.Errorf("%s: %v", l.Type(), err)
			continue
		}
		if got.Type() != l.Type() || !reflect.DeepEqual(got.Config(), l.Config()) {
			t.Errorf("%s: config %v, want %v", l.Type(), got.Config(), l.Config())
		}
	}
}

func TestFromConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		cfg  string
		want string
	}{
		{"Lambda", `{"name": "x"}`, `unknown layer type "Lambda"`},
		{"Dense", `{"name": "d"}`, "units is missing"},
		{"Dense", `{"units": 0}`, "units is 0, want an integer in [1, 1048576]"},
		{"Dense", `{"units": 2.5}`, "want an integer"},
		{"Dense", `{"units": "10"}`, "want an integer"},
		{"Dense", `{"units": 1e300}`, "want an integer"},
		{"Dense", `{"units": 4, "activation": "swish"}`, `unknown activation "swish"`},
		{"Dense", `{"units": 4, "kernel_initializer": "zeros"}`, `unknown configuration keys ["kernel_initializer"]`},
		{"Dense", `{"units": 4, "use_bias": "yes"}`, "want true or false"},
		{"Activation", `{}`, "activation is missing"},
		{"Activation", `{"activation": "gelu"}`, `unknown activation "gelu"`},
		{"Conv2D", `{"filters": 4}`, "filters and kernel_size are required"},
		{"Conv2D", `{"filters": 4, "kernel_size": [3, 3, 3]}`, "kernel_size has 3 entries, want 2"},
		{"Conv2D", `{"filters": 4, "kernel_size": 3, "padding": "causal"}`, `padding "causal"`},
		{"Conv2D", `{"filters": 4, "kernel_size": 3, "data_format": "channels_first"}`, "only channels_last"},
		{"Conv2D", `{"filters": 4, "kernel_size": 3, "dtype": "float16"}`, `dtype "float16", want "float32", "mixed_bfloat16" or "auto"`},
		{"MaxPooling2D", `{"pool_size": [0, 2]}`, "pool_size is 0"},
		{"GlobalAveragePooling2D", `{"keepdims": true}`, "keepdims=true is not supported"},
		{"Dropout", `{"rate": 1}`, "rate 1, want 0 ≤ rate < 1"},
		{"BatchNormalization", `{"axis": 1}`, "axis is 1"},
		{"BatchNormalization", `{"center": false}`, "center and scale must be true"},
		{"Reshape", `{"target_shape": [0, 4]}`, "has a zero"},
		{"Reshape", `{}`, "target_shape is missing"},
		{"Flatten", `{"input_shape": [28, -28]}`, "input_shape is -28"},
		{"RandomTranslation", `{"height_factor": 0.1, "width_factor": 0.1, "interpolation": "bilinear"}`, "only nearest"},
		{"RandomErasing", `{"factor": 0.5, "scale": [0.1]}`, "scale is [0.1], want a list of two numbers"},
		{"RandomErasing", `{"factor": 0.5, "ratio": ["a", 1]}`, "want a list of two finite numbers"},
		{"RandomErasing", `{"factor": 0.5, "value": 1}`, `unknown configuration keys ["value"]`},
	} {
		var cfg map[string]any
		dec := json.NewDecoder(strings.NewReader(tc.cfg))
		dec.UseNumber()
		if err := dec.Decode(&cfg); err != nil {
			t.Fatal(err)
		}
		_, err := FromConfig(tc.typ, cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: error %v, want one containing %q", tc.typ, tc.cfg, err, tc.want)
		}
	}
}
