package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/saving"
)

// TestInferOutputsBounded: an answer holds at most as many values as a
// request body of Options.MaxBodyBytes could send (half as many as its
// bytes), so that a model whose outputs outnumber its inputs (a decoder,
// here 784 inputs and 65,536 outputs an example) cannot turn a small
// request into an answer of hundreds of megabytes: 64 examples, a 100 KB
// body, would be answered with 4 million numbers. The most examples that
// fit are answered.
func TestInferOutputsBounded(t *testing.T) {
	m := tailor.Sequential(
		layers.Flatten(28, 28),
		layers.Dense(2, activations.ReLU),
		layers.Dense(1<<16, activations.Softmax),
	)
	if err := m.SetSeed(7); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	const maxBody = 1 << 20
	_, ts := newServer(t, []Model{{Name: "wide", Version: "1", Model: m, Meta: saving.FashionMNIST(fashionmnist.ClassNames())}}, Options{MaxBodyBytes: maxBody})
	url := ts.URL + "/v2/models/wide/infer"
	fits := maxBody / 2 / (1 << 16) // 8
	for _, n := range []int{fits, 64} {
		data := make([]float32, n*28*28)
		body := inferBody(t, "FP32", n, data)
		if len(body) > maxBody {
			t.Fatalf("a request of %d examples takes %d bytes", n, len(body))
		}
		status, b := do(t, http.MethodPost, url, "application/json", body)
		if n == fits {
			var res inferResponse
			if status != http.StatusOK || json.Unmarshal(b, &res) != nil || len(res.Outputs) != 1 || len(res.Outputs[0].Data) != n<<16 {
				t.Errorf("%d examples: status %d, %s", n, status, truncate(b))
			}
			continue
		}
		if status != http.StatusRequestEntityTooLarge {
			t.Errorf("%d examples: status %d (%d bytes answered), want 413", n, status, len(b))
		}
		wantJSONError(t, fmt.Sprintf("%d examples", n), b, fmt.Sprintf("inputs[0].shape [%d 28 28]: %d examples of 65536 outputs make %d values, more than the %d an answer may hold (half of Options.MaxBodyBytes): send at most %d", n, n, n<<16, maxBody/2, fits))
	}
}
