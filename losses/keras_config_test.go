package losses

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestNewLossesConfigRoundTrip checks that every loss reads back from its
// own Config, through JSON as a model file stores it.
func TestNewLossesConfigRoundTrip(t *testing.T) {
	for _, l := range []Loss{
		SparseCategoricalCrossentropyLoss{FromLogits: true},
		SparseCategoricalCrossentropyLoss{FromLogits: true, LabelSmoothing: 0.1},
		CategoricalCrossentropyLoss{FromLogits: true, LabelSmoothing: 0.2},
		CategoricalCrossentropyLoss{LabelSmoothing: 0.2},
		BinaryCrossentropy(),
		BinaryCrossentropyLoss{FromLogits: true},
		BinaryCrossentropyLoss{LabelSmoothing: 0.05},
		MeanSquaredError(),
		MeanAbsoluteError(),
	} {
		b, err := json.Marshal(l.Config())
		if err != nil {
			t.Fatal(err)
		}
		var cfg map[string]any
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatal(err)
		}
		back, err := FromConfig(l.Name(), cfg)
		if err != nil || back != l {
			t.Errorf("%s %s: read back %#v, %v; want %#v", l.Name(), b, back, err, l)
		}
	}
}

// TestKerasLossConfigs reads configurations as Keras 3's get_config
// writes them, and refuses the values Tailor cannot honour.
func TestKerasLossConfigs(t *testing.T) {
	tests := []struct {
		name, cfg string
		want      Loss
		wantErr   string
	}{
		{"binary_crossentropy", `{"name": "binary_crossentropy", "reduction": "sum_over_batch_size", "from_logits": true, "label_smoothing": 0.0, "axis": -1}`, BinaryCrossentropyLoss{FromLogits: true}, ""},
		{"categorical_crossentropy", `{"name": "categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": false, "label_smoothing": 0.1, "axis": -1}`, CategoricalCrossentropyLoss{LabelSmoothing: 0.1}, ""},
		{"sparse_categorical_crossentropy", `{"name": "sparse_categorical_crossentropy", "reduction": "auto", "from_logits": true, "ignore_class": null}`, SparseCategoricalCrossentropyLoss{FromLogits: true}, ""},
		{"mean_squared_error", `{"name": "mean_squared_error", "reduction": "sum_over_batch_size", "dtype": "float32"}`, MeanSquaredError(), ""},
		{"mean_absolute_error", `{}`, MeanAbsoluteError(), ""},
		{"binary_crossentropy", `{"reduction": "sum"}`, nil, `reduction is "sum", want "sum_over_batch_size"`},
		{"binary_crossentropy", `{"from_logits": "yes"}`, nil, "from_logits is yes, want true or false"},
		{"binary_crossentropy", `{"label_smoothing": 1}`, nil, "label_smoothing is 1, want a value in [0, 1)"},
		{"binary_crossentropy", `{"axis": 1}`, nil, "axis is 1, want an integer in [-1, -1]"},
		{"categorical_crossentropy", `{"label_smoothing": -0.5}`, nil, "label_smoothing is -0.5"},
		{"sparse_categorical_crossentropy", `{"ignore_class": 3}`, nil, "ignore_class is 3, want null"},
		{"mean_squared_error", `{"from_logits": true}`, nil, `unknown configuration keys ["from_logits"]`},
		{"mean_absolute_error", `{"dtype": "float16"}`, nil, `dtype is "float16"`},
		{"huber", `{}`, nil, `unknown loss "huber"`},
	}
	for _, tt := range tests {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(tt.cfg), &cfg); err != nil {
			t.Fatal(err)
		}
		got, err := FromConfig(tt.name, cfg)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("FromConfig(%s, %s) error %v, want %q", tt.name, tt.cfg, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("FromConfig(%s, %s) = %#v, %v; want %#v", tt.name, tt.cfg, got, err, tt.want)
		}
	}
}
