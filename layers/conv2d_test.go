package layers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tailor-ml/tailor/params"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/tensor"
)

func TestConv2DGradients(t *testing.T) {
	tests := []struct {
		name   string
		layer  func() *Conv2DLayer
		in     tensor.Shape
		batch  int
		outDim tensor.Shape
	}{
		{"valid", func() *Conv2DLayer { return Conv2D(3, [2]int{3, 3}) }, tensor.Shape{5, 6, 2}, 2, tensor.Shape{3, 4, 3}},
		{"same relu", func() *Conv2DLayer {
			return Conv2D(4, [2]int{3, 3}, Conv2DOptions{Padding: Same, Activation: activations.ReLU})
		}, tensor.Shape{5, 5, 2}, 2, tensor.Shape{5, 5, 4}},
		{"one channel", func() *Conv2DLayer { return Conv2D(2, [2]int{3, 2}, Conv2DOptions{Padding: Same}) }, tensor.Shape{4, 5}, 3, tensor.Shape{4, 5, 2}},
		{"strides", func() *Conv2DLayer {
			return Conv2D(3, [2]int{3, 3}, Conv2DOptions{Strides: [2]int{2, 2}, Padding: Same, Activation: activations.Tanh})
		}, tensor.Shape{6, 5, 2}, 2, tensor.Shape{3, 3, 3}},
		{"uneven strides valid", func() *Conv2DLayer {
			return Conv2D(2, [2]int{2, 3}, Conv2DOptions{Strides: [2]int{1, 2}, NoBias: true})
		}, tensor.Shape{4, 7, 3}, 2, tensor.Shape{3, 3, 2}},
		{"short windows", func() *Conv2DLayer {
			return Conv2D(12, [2]int{3, 3}, Conv2DOptions{Padding: Same, Activation: activations.ReLU})
		}, tensor.Shape{5, 4}, 2, tensor.Shape{5, 4, 12}},
		{"1x1", func() *Conv2DLayer { return Conv2D(3, [2]int{1, 1}, Conv2DOptions{Activation: activations.Sigmoid}) }, tensor.Shape{3, 3, 4}, 2, tensor.Shape{3, 3, 3}},
		{"softmax", func() *Conv2DLayer {
			return Conv2D(3, [2]int{2, 2}, Conv2DOptions{Activation: activations.Softmax, Padding: Same})
		}, tensor.Shape{3, 4, 2}, 2, tensor.Shape{3, 4, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.layer()
			out := buildForTest(t, c, tt.in)
			if !out.Equal(tt.outDim) {
				t.Fatalf("output shape %v, want %v", out, tt.outDim)
			}
			if c.bias != nil {
				rng := rand.New(rand.NewPCG(7, 7))
				for i := range c.bias.Value.Data {
					c.bias.Value.Data[i] = float32(rng.Float64() - 0.5)
				}
			}
			x := randomTensor(rand.New(rand.NewPCG(3, 4)), append(tensor.Shape{tt.batch}, tt.in...)...)
			checkGradients(t, c, x, true, gradCheckOptions{})
		})
	}
}

// TestConv2DForward checks a hand-computed example: a 3×3 image of
// 1..9 and a 2×2 kernel of ones sum each 2×2 block.
func TestConv2DForward(t *testing.T) {
	x, _ := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 3, 3)
	for _, tt := range []struct {
		padding Padding
		want    []float32
	}{
		{Valid, []float32{12, 16, 24, 28}},
		// same pads one column on the right and one row below.
		{Same, []float32{12, 16, 9, 24, 28, 15, 15, 17, 9}},
	} {
		c := Conv2D(1, [2]int{2, 2}, Conv2DOptions{Padding: tt.padding})
		buildForTest(t, c, tensor.Shape{3, 3})
		for i := range c.kernel.Value.Data {
			c.kernel.Value.Data[i] = 1
		}
		c.bias.Value.Data[0] = -1
		y := c.Forward(st(c), x, false)
		for i, w := range tt.want {
			if y.Data[i] != w-1 {
				t.Errorf("%s: y = %v, want %v − 1", tt.padding, y.Data, tt.want)
				break
			}
		}
	}
}

func TestConv2DBuild(t *testing.T) {
	c := Conv2D(32, [2]int{3, 3}, Conv2DOptions{Padding: Same, Activation: activations.ReLU, InputShape: []int{28, 28}})
	out := buildForTest(t, c, c.InputShape())
	if !out.Equal(tensor.Shape{28, 28, 32}) {
		t.Errorf("output shape %v, want (28, 28, 32)", out)
	}
	if n := len(c.kernel.Value.Data) + len(c.bias.Value.Data); n != 320 {
		t.Errorf("%d parameters, want 320", n)
	}
	if s := c.kernel.Value.Shape; !s.Equal(tensor.Shape{3, 3, 1, 32}) {
		t.Errorf("kernel shape %v, want (3, 3, 1, 32)", s)
	}
	// glorot_uniform: limit √(6/(9·1 + 9·32)).
	limit := math.Sqrt(6.0 / (9 + 9*32))
	for _, v := range c.kernel.Value.Data {
		if math.Abs(float64(v)) > limit {
			t.Fatalf("kernel value %v beyond the glorot limit %v", v, limit)
		}
	}
	for _, bad := range []struct {
		layer *Conv2DLayer
		in    tensor.Shape
	}{
		{Conv2D(0, [2]int{3, 3}), tensor.Shape{5, 5, 1}},
		{Conv2D(2, [2]int{3, 3}), tensor.Shape{2, 2, 1}},
		{Conv2D(2, [2]int{3, 3}), tensor.Shape{10}},
		{Conv2D(2, [2]int{3, 3}, Conv2DOptions{Padding: "full"}), tensor.Shape{5, 5, 1}},
		{Conv2D(2, [2]int{3, 3}, Conv2DOptions{Activation: "swish"}), tensor.Shape{5, 5, 1}},
		{Conv2D(2, [2]int{0, 3}), tensor.Shape{5, 5, 1}},
	} {
		if _, err := bad.layer.Build(bad.in, params.NewBuilder()); err == nil {
			t.Errorf("%+v on %v: no error", bad.layer.Config(), bad.in)
		}
	}
}

func TestConv2DConfig(t *testing.T) {
	c := Conv2D(8, [2]int{3, 5}, Conv2DOptions{Strides: [2]int{2, 1}, Padding: Same, Activation: activations.ReLU, NoBias: true, InputShape: []int{28, 28, 1}})
	c.SetName("conv")
	cfg := c.Config()
	want := map[string]any{"name": "conv", "filters": 8, "kernel_size": []int{3, 5}, "strides": []int{2, 1}, "padding": "same",
		"activation": "relu", "use_bias": false, "data_format": "channels_last", "input_shape": []int{28, 28, 1}}
	checkConfig(t, cfg, want)
	if cfg := Conv2D(4, [2]int{3, 3}).Config(); cfg["padding"] != "valid" || cfg["activation"] != "linear" || cfg["use_bias"] != true {
		t.Errorf("default config %v", cfg)
	}
}

// checkConfig compares a config with the expected keys and values.
func checkConfig(t *testing.T, got, want map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("config %v, want %v", got, want)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || !configEqual(g, w) {
			t.Errorf("config[%q] = %v, want %v", k, g, w)
		}
	}
}

func configEqual(a, b any) bool {
	if as, ok := a.([]int); ok {
		bs, ok := b.([]int)
		if !ok || len(as) != len(bs) {
			return false
		}
		for i := range as {
			if as[i] != bs[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

// checkNoAllocs runs a forward and backward pass once to size the buffers,
// then fails if another allocates.
func checkNoAllocs(t *testing.T, l Layer, in tensor.Shape, batch int, training bool) {
	t.Helper()
	buildForTest(t, l, in)
	x := randomTensor(rand.New(rand.NewPCG(1, 1)), append(tensor.Shape{batch}, in...)...)
	step := func() {
		if s, ok := l.(Stochastic); ok {
			s.SeedStep(st(l), 1, 2)
		}
		y := l.Forward(st(l), x, training)
		l.Backward(st(l), y, true)
	}
	step()
	if a := testing.AllocsPerRun(5, step); a != 0 {
		t.Errorf("%s: %v allocations per step", l.Type(), a)
	}
	// A smaller batch reuses the buffers.
	x = x.Slice(0, batch-1)
	if a := testing.AllocsPerRun(5, step); a != 0 {
		t.Errorf("%s: %v allocations per step on a smaller batch", l.Type(), a)
	}
}

func TestConv2DNoAllocs(t *testing.T) {
	checkNoAllocs(t, Conv2D(8, [2]int{3, 3}, Conv2DOptions{Padding: Same, Activation: activations.ReLU}), tensor.Shape{12, 12, 3}, 4, true)
	checkNoAllocs(t, Conv2D(8, [2]int{1, 1}), tensor.Shape{6, 6, 3}, 4, true)
}

func BenchmarkConv2D(b *testing.B) {
	for _, bc := range []struct {
		name    string
		in      tensor.Shape
		filters int
	}{{"28x28x1-32", tensor.Shape{28, 28, 1}, 32}, {"14x14x32-64", tensor.Shape{14, 14, 32}, 64}} {
		c := Conv2D(bc.filters, [2]int{3, 3}, Conv2DOptions{Padding: Same, Activation: activations.ReLU})
		if _, err := c.Build(bc.in, params.NewBuilder()); err != nil {
			b.Fatal(err)
		}
		x := randomTensor(rand.New(rand.NewPCG(1, 2)), append(tensor.Shape{32}, bc.in...)...)
		b.Run(bc.name+"/forward", func(b *testing.B) {
			for b.Loop() {
				c.Forward(st(c), x, true)
			}
		})
		b.Run(bc.name+"/backward", func(b *testing.B) {
			y := c.Forward(st(c), x, true)
			dy := y.Clone()
			for b.Loop() {
				c.Backward(st(c), dy, bc.in[2] > 1)
			}
		})
	}
}

// TestConv2DBlocks checks that a batch processed in several blocks of
// images gives the same outputs as the images one by one, in both modes,
// and that Backward after an inference Forward matches Backward after a
// training one.
func TestConv2DBlocks(t *testing.T) {
	c := Conv2D(32, [2]int{3, 3}, Conv2DOptions{Padding: Same, Activation: activations.ReLU})
	buildForTest(t, c, tensor.Shape{28, 28, 1})
	// kernels.Conv unfolds 28×28 images for 32 filters four at a time:
	// a batch of 9 is three blocks.
	x := randomTensor(rand.New(rand.NewPCG(5, 5)), 9, 28, 28, 1)
	for _, training := range []bool{true, false} {
		y := c.Forward(st(c), x, training).Clone()
		for i := 0; i < 9; i++ {
			yi := c.Forward(st(c), x.Slice(i, i+1), training)
			for j, v := range yi.Data {
				if v != y.Row(i)[j] {
					t.Fatalf("training=%v: image %d alone differs at %d: %v, in the batch %v", training, i, j, v, y.Row(i)[j])
				}
			}
		}
	}
	dy := randomTensor(rand.New(rand.NewPCG(6, 6)), 9, 28, 28, 32)
	grads := func(training bool) []float32 {
		c.Forward(st(c), x, training)
		dx := c.Backward(st(c), dy, true)
		return append(append([]float32(nil), dx.Data...), c.kernel.Grad.Data...)
	}
	a, b := grads(true), grads(false)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("gradient %d: %v after a training Forward, %v after an inference one", i, a[i], b[i])
		}
	}
	// The kernel gradient sums over the blocks: it is the sum of the
	// images' own.
	sum := make([]float32, len(c.kernel.Grad.Data))
	for i := 0; i < 9; i++ {
		c.Forward(st(c), x.Slice(i, i+1), true)
		c.Backward(st(c), dy.Slice(i, i+1), false)
		for j, v := range c.kernel.Grad.Data {
			sum[j] += v
		}
	}
	dk := a[len(a)-len(sum):]
	for j := range sum {
		if math.Abs(float64(sum[j]-dk[j])) > 1e-3*(1+math.Abs(float64(sum[j]))) {
			t.Fatalf("kernel gradient %d: %v for the batch, %v summed over its images", j, dk[j], sum[j])
		}
	}
}

// TestConv2DMixedBFloat16 runs the same convolution in float32 and in
// mixed_bfloat16: outputs and gradients agree to bfloat16's precision (8
// significant bits per operand), but not exactly.
func TestConv2DMixedBFloat16(t *testing.T) {
	build := func(d DType) *Conv2DLayer {
		c := Conv2D(16, [2]int{3, 3}, Conv2DOptions{Padding: Same, DType: d})
		buildForTest(t, c, tensor.Shape{7, 7, 8})
		return c
	}
	c32, cbf := build(Float32), build(MixedBFloat16)
	rng := rand.New(rand.NewPCG(5, 5))
	x := randomTensor(rng, 4, 7, 7, 8)
	dy := randomTensor(rng, 4, 7, 7, 16)
	y32, ybf := c32.Forward(st(c32), x, true).Clone(), cbf.Forward(st(cbf), x, true).Clone()
	dx32, dxbf := c32.Backward(st(c32), dy, true).Clone(), cbf.Backward(st(cbf), dy, true).Clone()
	var worst float64
	for name, pair := range map[string][2]*tensor.Tensor{"output": {ybf, y32}, "input gradient": {dxbf, dx32}, "kernel gradient": {cbf.kernel.Grad, c32.kernel.Grad}} {
		var scale float64
		for _, v := range pair[1].Data {
			scale = max(scale, math.Abs(float64(v)))
		}
		for i, v := range pair[0].Data {
			d := math.Abs(float64(v-pair[1].Data[i])) / scale
			if d > 2e-2 {
				t.Fatalf("%s[%d] = %v in mixed_bfloat16, %v in float32", name, i, v, pair[1].Data[i])
			}
			worst = max(worst, d)
		}
	}
	if kernels.HasBF16() && worst == 0 {
		t.Error("mixed_bfloat16 gives float32's results exactly: the operands were not rounded")
	}
}

// TestConv2DAuto: DType Auto resolves when the layer is built to what
// ResolveAuto says for this CPU, and the config records the resolved
// policy, so that a model file keeps the precision it was trained in.
func TestConv2DAuto(t *testing.T) {
	c := Conv2D(32, [2]int{3, 3}, Conv2DOptions{DType: Auto})
	c.SetName("c")
	if c.DType() != Auto {
		t.Fatalf("before Build: %q", c.DType())
	}
	buildForTest(t, c, tensor.Shape{8, 8, 4})
	want, why := ResolveAuto()
	if c.DType() != want || why == "" {
		t.Errorf("resolved to %q, ResolveAuto says %q (%q)", c.DType(), want, why)
	}
	if got := c.Config()["dtype"]; want == MixedBFloat16 && got != string(MixedBFloat16) || want == Float32 && got != nil {
		t.Errorf("config dtype %v after resolving to %q", got, want)
	}
	if err := c.SetDType(Float32); err == nil {
		t.Error("SetDType after Build succeeded")
	}
	d := Conv2D(8, [2]int{3, 3})
	if err := d.SetDType("float16"); err == nil {
		t.Error("SetDType accepted float16")
	}
	if err := d.SetDType(Auto); err != nil || d.DType() != Auto {
		t.Errorf("SetDType(Auto): %v, %q", err, d.DType())
	}
}
