package layers

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

var allActivations = []activations.Activation{"", activations.Linear, activations.ReLU, activations.Sigmoid, activations.Tanh, activations.Softmax}

// setBias gives the bias random values, so that the forward pass and the
// kink margin below exercise it (Keras initialises it to zero).
func setBias(d *DenseLayer, rng *rand.Rand) {
	for i := range d.bias.Value.Data {
		d.bias.Value.Data[i] = float32(rng.Float64() - 0.5)
	}
}

// inputAwayFromKinks draws a batch for d whose every pre-activation
// z = x·W + b is at least margin away from 0, where ReLU has its kink.
func inputAwayFromKinks(d *DenseLayer, batch int, margin float64, rng *rand.Rand) *tensor.Tensor {
	x := tensor.New(batch, d.in)
	for b := 0; b < batch; b++ {
		row := x.Row(b)
	draw:
		for {
			for i := range row {
				row[i] = float32(2*rng.Float64() - 1)
			}
			for j := 0; j < d.units; j++ {
				z := float64(d.bias.Value.Data[j])
				for i, v := range row {
					z += float64(v) * float64(d.kernel.Value.Data[i*d.units+j])
				}
				if math.Abs(z) < margin {
					continue draw
				}
			}
			break
		}
	}
	return x
}

func TestDenseGradients(t *testing.T) {
	for _, act := range allActivations {
		t.Run(act.Name(), func(t *testing.T) {
			// A finite-difference step of 1e-2 moves any pre-activation by
			// at most 1e-2·max|x| or 1e-2·max|W| (both below 1), so with a
			// margin of 0.1 no step crosses ReLU's kink and nothing may be
			// skipped.
			d := Dense(4, act)
			buildForTest(t, d, tensor.Shape{5})
			rng := rand.New(rand.NewPCG(3, 4))
			setBias(d, rng)
			x := inputAwayFromKinks(d, 3, 0.1, rng)
			checkGradients(t, d, x, true, gradCheckOptions{maxSkipped: -1})
		})
		t.Run(act.Name()+"/helper", func(t *testing.T) {
			checkLayerGradients(t, Dense(6, act), tensor.Shape{7}, 4, false)
		})
	}
}

func TestDenseForward(t *testing.T) {
	// x = [1 2; −1 0.5], W = [1 0 −1; 2 1 0], b = [0.5 −1 0]:
	// z = [5.5 1 −1; 0.5 −0.5 1].
	z := [][]float64{{5.5, 1, -1}, {0.5, -0.5, 1}}
	sigmoid := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	softmax := func(row []float64) []float64 {
		var s float64
		out := make([]float64, len(row))
		for j, v := range row {
			out[j] = math.Exp(v)
			s += out[j]
		}
		for j := range out {
			out[j] /= s
		}
		return out
	}
	tests := []struct {
		act  activations.Activation
		want func(row []float64) []float64
	}{
		{"", func(r []float64) []float64 { return r }},
		{activations.Linear, func(r []float64) []float64 { return r }},
		{activations.ReLU, func(r []float64) []float64 { return mapf(r, func(v float64) float64 { return max(v, 0) }) }},
		{activations.Sigmoid, func(r []float64) []float64 { return mapf(r, sigmoid) }},
		{activations.Tanh, func(r []float64) []float64 { return mapf(r, math.Tanh) }},
		{activations.Softmax, softmax},
	}
	for _, tt := range tests {
		t.Run(tt.act.Name(), func(t *testing.T) {
			d := Dense(3, tt.act)
			buildForTest(t, d, tensor.Shape{2})
			copy(d.kernel.Value.Data, []float32{1, 0, -1, 2, 1, 0})
			copy(d.bias.Value.Data, []float32{0.5, -1, 0})
			x, _ := tensor.FromSlice([]float32{1, 2, -1, 0.5}, 2, 2)
			out := d.Forward(st(d), x, false)
			if !out.Shape.Equal(tensor.Shape{2, 3}) {
				t.Fatalf("output shape %v, want (2, 3)", out.Shape)
			}
			for b := range z {
				want := tt.want(z[b])
				for j, w := range want {
					if got := float64(out.Row(b)[j]); math.Abs(got-w) > 1e-6 {
						t.Errorf("out[%d][%d] = %v, want %v", b, j, got, w)
					}
				}
			}
		})
	}
}

func mapf(xs []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(xs))
	for i, v := range xs {
		out[i] = f(v)
	}
	return out
}

// TestDenseBackwardLogits checks the gradients for a gradient dz taken
// with respect to the pre-activation against their definitions, computed
// in float64: dW = xᵀ·dz, db = Σ_rows dz, dx = dz·Wᵀ.
func TestDenseBackwardLogits(t *testing.T) {
	const batch, in, units = 3, 4, 5
	d := Dense(units, activations.Softmax)
	buildForTest(t, d, tensor.Shape{in})
	rng := rand.New(rand.NewPCG(8, 9))
	setBias(d, rng)
	x := randomTensor(rng, batch, in)
	dz := randomTensor(rng, batch, units)
	d.Forward(st(d), x, true)
	dx := d.BackwardLogits(st(d), dz, true)
	if !dx.Shape.Equal(tensor.Shape{batch, in}) {
		t.Fatalf("dx shape %v", dx.Shape)
	}
	W := d.kernel.Value.Data
	for i := 0; i < in; i++ {
		for j := 0; j < units; j++ {
			var want float64
			for b := 0; b < batch; b++ {
				want += float64(x.Row(b)[i]) * float64(dz.Row(b)[j])
			}
			if got := d.kernel.Grad.Data[i*units+j]; math.Abs(float64(got)-want) > 1e-6 {
				t.Errorf("dW[%d][%d] = %v, want %v", i, j, got, want)
			}
		}
	}
	for j := 0; j < units; j++ {
		var want float64
		for b := 0; b < batch; b++ {
			want += float64(dz.Row(b)[j])
		}
		if got := d.bias.Grad.Data[j]; math.Abs(float64(got)-want) > 1e-6 {
			t.Errorf("db[%d] = %v, want %v", j, got, want)
		}
	}
	for b := 0; b < batch; b++ {
		for i := 0; i < in; i++ {
			var want float64
			for j := 0; j < units; j++ {
				want += float64(dz.Row(b)[j]) * float64(W[i*units+j])
			}
			if got := dx.Row(b)[i]; math.Abs(float64(got)-want) > 1e-6 {
				t.Errorf("dx[%d][%d] = %v, want %v", b, i, got, want)
			}
		}
	}
	wantDW := append([]float32(nil), d.kernel.Grad.Data...)
	if got := d.BackwardLogits(st(d), dz, false); got != nil {
		t.Errorf("BackwardLogits(dz, false) = %v, want nil", got.Shape)
	}
	for i, v := range d.kernel.Grad.Data {
		if v != wantDW[i] {
			t.Fatalf("dW[%d] = %v without the input gradient, %v with it", i, v, wantDW[i])
		}
	}

	// For a linear layer the two entry points coincide.
	lin := Dense(units, activations.Linear)
	buildForTest(t, lin, tensor.Shape{in})
	lin.Forward(st(lin), x, true)
	want := append([]float32(nil), lin.Backward(st(lin), dz, true).Data...)
	got := lin.BackwardLogits(st(lin), dz, true)
	for i := range want {
		if got.Data[i] != want[i] {
			t.Fatalf("linear: Backward dx[%d] = %v, BackwardLogits %v", i, want[i], got.Data[i])
		}
	}
}

func TestDenseBuild(t *testing.T) {
	d := Dense(3, activations.ReLU)
	out := buildForTest(t, d, tensor.Shape{4})
	if !out.Equal(tensor.Shape{3}) {
		t.Errorf("output shape %v, want (3,)", out)
	}
	ps := d.Params()
	if len(ps) != 2 || ps[0].Name != "kernel" || ps[1].Name != "bias" {
		t.Fatalf("params %v, want kernel and bias", ps)
	}
	if !ps[0].Value.Shape.Equal(tensor.Shape{4, 3}) || !ps[1].Value.Shape.Equal(tensor.Shape{3}) {
		t.Errorf("kernel %v, bias %v; want (4, 3) and (3,)", ps[0].Value.Shape, ps[1].Value.Shape)
	}
	for _, p := range ps {
		if !p.Trainable() {
			t.Errorf("%s is not trainable", p.Name)
		}
	}
	// glorot_uniform: U(−√(6/7), √(6/7)), not all zero; zero bias.
	limit := float32(math.Sqrt(6.0 / 7))
	nonzero := 0
	for _, v := range ps[0].Value.Data {
		if v < -limit || v > limit {
			t.Errorf("kernel value %v outside ±%v", v, limit)
		}
		if v != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Error("kernel is all zero")
	}
	for _, v := range ps[1].Value.Data {
		if v != 0 {
			t.Errorf("bias %v, want 0", ps[1].Value.Data)
			break
		}
	}
	// The same generator gives the same weights.
	d2 := Dense(3, activations.ReLU)
	buildForTest(t, d2, tensor.Shape{4})
	for i, v := range d2.kernel.Value.Data {
		if v != d.kernel.Value.Data[i] {
			t.Fatalf("kernel[%d] = %v and %v from the same seed", i, v, d.kernel.Value.Data[i])
		}
	}
}

func TestDenseBuildErrors(t *testing.T) {
	tests := []struct {
		name  string
		layer *DenseLayer
		in    tensor.Shape
		want  string
	}{
		{"zero units", Dense(0, activations.ReLU), tensor.Shape{4}, "units must be positive"},
		{"negative units", Dense(-2, activations.ReLU), tensor.Shape{4}, "units must be positive"},
		{"unknown activation", Dense(3, "gelu"), tensor.Shape{4}, `unknown activation "gelu"`},
		{"rank 2 input", Dense(3, activations.ReLU), tensor.Shape{28, 28}, "add a Flatten layer"},
		{"scalar input", Dense(3, activations.ReLU), tensor.Shape{}, "add a Flatten layer"},
		{"empty input", Dense(3, activations.ReLU), tensor.Shape{0}, "input shape (0,)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.layer.SetName("d")
			out, err := tt.layer.Build(tt.in, params.NewBuilder())
			if err == nil {
				t.Fatalf("Build(%v) = %v, want an error", tt.in, out)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"d"`) {
				t.Errorf("error %q, want it to name the layer and contain %q", err, tt.want)
			}
		})
	}
}

func TestDenseConfig(t *testing.T) {
	d := Dense(10, "")
	d.SetName("dense_1")
	if d.Type() != "Dense" || d.Name() != "dense_1" {
		t.Errorf("Type %q Name %q", d.Type(), d.Name())
	}
	c := d.Config()
	if c["units"] != 10 || c["activation"] != "linear" || c["use_bias"] != true || c["name"] != "dense_1" {
		t.Errorf("Config() = %v", c)
	}
}
