package layers

import (
	"testing"

	"github.com/tailor-ml/tailor/params"

	"github.com/tailor-ml/tailor/tensor"
)

func TestPoolingGradients(t *testing.T) {
	tests := []struct {
		name  string
		layer func() Layer
		in    tensor.Shape
		out   tensor.Shape
	}{
		{"max 2x2", func() Layer { return MaxPooling2D([2]int{2, 2}) }, tensor.Shape{4, 6, 3}, tensor.Shape{2, 3, 3}},
		{"max odd valid", func() Layer { return MaxPooling2D([2]int{2, 2}) }, tensor.Shape{5, 5, 2}, tensor.Shape{2, 2, 2}},
		{"max same", func() Layer { return MaxPooling2D([2]int{2, 2}, PoolOptions{Padding: Same}) }, tensor.Shape{5, 5, 2}, tensor.Shape{3, 3, 2}},
		{"max same, 16 channels", func() Layer { return MaxPooling2D([2]int{2, 2}, PoolOptions{Padding: Same}) }, tensor.Shape{3, 5, 16}, tensor.Shape{2, 3, 16}},
		{"max overlapping", func() Layer { return MaxPooling2D([2]int{3, 3}, PoolOptions{Strides: [2]int{2, 1}}) }, tensor.Shape{5, 5, 2}, tensor.Shape{2, 3, 2}},
		{"max one channel", func() Layer { return MaxPooling2D([2]int{2, 2}) }, tensor.Shape{4, 4}, tensor.Shape{2, 2}},
		{"average 2x2", func() Layer { return AveragePooling2D([2]int{2, 2}) }, tensor.Shape{4, 6, 3}, tensor.Shape{2, 3, 3}},
		{"average same", func() Layer { return AveragePooling2D([2]int{3, 3}, PoolOptions{Padding: Same, Strides: [2]int{2, 2}}) }, tensor.Shape{5, 4, 2}, tensor.Shape{3, 2, 2}},
		{"global average", func() Layer { return GlobalAveragePooling2D() }, tensor.Shape{3, 4, 5}, tensor.Shape{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.layer()
			if out := buildForTest(t, l, tt.in); !out.Equal(tt.out) {
				t.Fatalf("output shape %v, want %v", out, tt.out)
			}
			checkLayerGradients(t, l, tt.in, 2, true)
		})
	}
}

func TestMaxPoolingForward(t *testing.T) {
	// One 4×4 channel; each 2×2 block's maximum, and the gradient lands on
	// it alone.
	x, _ := tensor.FromSlice([]float32{
		1, 5, 2, 0,
		3, 4, 8, 7,
		-1, -2, 0, 0,
		-3, -4, 0, 9,
	}, 1, 4, 4, 1)
	p := MaxPooling2D([2]int{2, 2})
	buildForTest(t, p, tensor.Shape{4, 4, 1})
	y := p.Forward(st(p), x, false)
	want := []float32{5, 8, -1, 9}
	for i, w := range want {
		if y.Data[i] != w {
			t.Fatalf("y = %v, want %v", y.Data, want)
		}
	}
	dy, _ := tensor.FromSlice([]float32{1, 2, 3, 4}, 1, 2, 2, 1)
	dx := p.Backward(st(p), dy, true)
	wantDx := []float32{0, 1, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 4}
	for i, w := range wantDx {
		if dx.Data[i] != w {
			t.Fatalf("dx = %v, want %v", dx.Data, wantDx)
		}
	}
}

func TestAveragePoolingSameCountsInside(t *testing.T) {
	// 3×3 ones with a 2×2 same window: every average is 1, the padding
	// does not count.
	x := tensor.New(1, 3, 3, 1)
	for i := range x.Data {
		x.Data[i] = 1
	}
	p := AveragePooling2D([2]int{2, 2}, PoolOptions{Padding: Same})
	buildForTest(t, p, tensor.Shape{3, 3, 1})
	for _, v := range p.Forward(st(p), x, false).Data {
		if v != 1 {
			t.Fatalf("average %v over ones, want 1", v)
		}
	}
}

func TestPoolingConfig(t *testing.T) {
	p := MaxPooling2D([2]int{3, 3}, PoolOptions{Strides: [2]int{2, 2}, Padding: Same})
	p.SetName("pool")
	checkConfig(t, p.Config(), map[string]any{"name": "pool", "pool_size": []int{3, 3}, "strides": []int{2, 2}, "padding": "same", "data_format": "channels_last"})
	a := AveragePooling2D([2]int{2, 2})
	a.SetName("avg")
	checkConfig(t, a.Config(), map[string]any{"name": "avg", "pool_size": []int{2, 2}, "strides": []int{2, 2}, "padding": "valid", "data_format": "channels_last"})
	if MaxPooling2D([2]int{2, 2}).Type() != "MaxPooling2D" || a.Type() != "AveragePooling2D" || GlobalAveragePooling2D().Type() != "GlobalAveragePooling2D" {
		t.Error("wrong Keras class names")
	}
	for _, bad := range []struct {
		l  Layer
		in tensor.Shape
	}{
		{MaxPooling2D([2]int{3, 3}), tensor.Shape{2, 2, 1}},
		{MaxPooling2D([2]int{2, 2}, PoolOptions{Padding: "full"}), tensor.Shape{4, 4, 1}},
		{AveragePooling2D([2]int{2, 2}), tensor.Shape{16}},
		{GlobalAveragePooling2D(), tensor.Shape{4, 4}},
	} {
		if _, err := bad.l.Build(bad.in, params.NewBuilder()); err == nil {
			t.Errorf("%s on %v: no error", bad.l.Type(), bad.in)
		}
	}
}

func TestPoolingNoAllocs(t *testing.T) {
	checkNoAllocs(t, MaxPooling2D([2]int{2, 2}), tensor.Shape{8, 8, 4}, 3, true)
	checkNoAllocs(t, AveragePooling2D([2]int{2, 2}), tensor.Shape{8, 8, 4}, 3, true)
	checkNoAllocs(t, GlobalAveragePooling2D(), tensor.Shape{8, 8, 4}, 3, true)
}
