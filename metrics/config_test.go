package metrics

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestMetricsFromConfig(t *testing.T) {
	mustThreshold := func(m Metric, err error) Metric {
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	topK := func(k int, sparse bool) Metric { return mustThreshold(TopKCategoricalAccuracyWithK(k, sparse)) }
	tests := []struct {
		name, cfg string
		want      Metric
		wantErr   string
	}{
		{"accuracy", `{}`, Accuracy(), ""},
		{"binary_accuracy", `{"name": "binary_accuracy", "dtype": "float32", "threshold": 0.7}`, mustThreshold(BinaryAccuracyWithThreshold(0.7)), ""},
		{"binary_accuracy", `{}`, BinaryAccuracy(), ""},
		{"precision", `{"name": "precision", "dtype": "float32", "thresholds": null, "top_k": null, "class_id": null}`, Precision(), ""},
		{"precision", `{"thresholds": [0.25]}`, mustThreshold(PrecisionWithThreshold(0.25)), ""},
		{"recall", `{"thresholds": 0.4}`, mustThreshold(RecallWithThreshold(0.4)), ""},
		{"top_k_categorical_accuracy", `{"name": "top_k_categorical_accuracy", "dtype": "float32", "k": 3}`, topK(3, false), ""},
		{"sparse_top_k_categorical_accuracy", `{}`, SparseTopKCategoricalAccuracy(), ""},
		{"binary_accuracy", `{"threshold": 2}`, nil, "threshold is 2, want a value in [0, 1]"},
		{"precision", `{"thresholds": [0.3, 0.6]}`, nil, "thresholds is [0.3 0.6]"},
		{"precision", `{"top_k": 2}`, nil, "top_k is 2, want null"},
		{"recall", `{"class_id": 1}`, nil, "class_id is 1, want null"},
		{"top_k_categorical_accuracy", `{"k": 0}`, nil, "k is 0, want an integer in [1, 1048576]"},
		{"top_k_categorical_accuracy", `{"kk": 3}`, nil, `unknown configuration keys ["kk"]`},
		{"auc", `{}`, nil, `unknown metric "auc"`},
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
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("FromConfig(%s, %s) = %#v, %v; want %#v", tt.name, tt.cfg, got, err, tt.want)
			continue
		}
		// Round trip through the metric's own Config.
		if c, ok := got.(interface{ Config() map[string]any }); ok {
			b, _ := json.Marshal(c.Config())
			var back map[string]any
			json.Unmarshal(b, &back)
			again, err := FromConfig(got.Name(), back)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("%s: round trip of %s: %#v, %v", got.Name(), b, again, err)
			}
		}
	}
}
