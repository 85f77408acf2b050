package layers

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/params"

	"github.com/tailor-ml/tailor/tensor"
)

func TestReshape(t *testing.T) {
	for _, tt := range []struct {
		target, in, want tensor.Shape
	}{
		{tensor.Shape{28, 28, 1}, tensor.Shape{28, 28}, tensor.Shape{28, 28, 1}},
		{tensor.Shape{-1, 4}, tensor.Shape{2, 3, 4}, tensor.Shape{6, 4}},
		{tensor.Shape{12}, tensor.Shape{3, 4}, tensor.Shape{12}},
	} {
		r := Reshape(tt.target...)
		out := buildForTest(t, r, tt.in)
		if !out.Equal(tt.want) {
			t.Errorf("Reshape%v on %v: %v, want %v", tt.target, tt.in, out, tt.want)
		}
		x := randomTensor(rand.New(rand.NewPCG(1, 1)), append(tensor.Shape{3}, tt.in...)...)
		y := r.Forward(st(r), x, true)
		if !y.Shape.Equal(append(tensor.Shape{3}, tt.want...)) || &y.Data[0] != &x.Data[0] {
			t.Errorf("Forward: shape %v, or the data was copied", y.Shape)
		}
		if dx := r.Backward(st(r), y, true); !dx.Shape.Equal(x.Shape) {
			t.Errorf("Backward: shape %v, want %v", dx.Shape, x.Shape)
		}
		checkLayerGradients(t, Reshape(tt.target...), tt.in, 2, true)
	}
	for _, bad := range []struct{ target, in tensor.Shape }{
		{tensor.Shape{5}, tensor.Shape{2, 3}},
		{tensor.Shape{-1, 4}, tensor.Shape{2, 3}},
		{tensor.Shape{-1, -1}, tensor.Shape{2, 3}},
		{tensor.Shape{0, 6}, tensor.Shape{2, 3}},
		// products that wrap around: to 0 (a division by zero), and to 4
		{tensor.Shape{1 << 40, 1 << 40, -1}, tensor.Shape{4}},
		{tensor.Shape{1 << 32, 1 << 32, 4}, tensor.Shape{4}},
	} {
		if _, err := Reshape(bad.target...).Build(bad.in, params.NewBuilder()); err == nil {
			t.Errorf("Reshape%v on %v: no error", bad.target, bad.in)
		}
	}
	r := Reshape(-1, 1)
	r.SetName("r")
	checkConfig(t, r.Config(), map[string]any{"name": "r", "target_shape": []int{-1, 1}})
	checkNoAllocs(t, Reshape(28, 28, 1), tensor.Shape{28, 28}, 2, true)
}

// TestReshapeConfigWraps: a model file's Reshape whose target axes (each
// within the 2²⁰ FromConfig allows) multiply past an int is refused with
// an error; Build divided by the wrapped product, 0, and panicked.
func TestReshapeConfigWraps(t *testing.T) {
	l, err := FromConfig("Reshape", map[string]any{"name": "r", "target_shape": []any{1 << 20, 1 << 20, 1 << 20, 1 << 20, -1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Build(tensor.Shape{4}, params.NewBuilder()); err == nil || !strings.Contains(err.Error(), `reshape "r": cannot reshape (4,)`) {
		t.Errorf("Build: %v", err)
	}
}
