package layers

import (
	"math/rand/v2"
	"testing"

	"github.com/tailor-ml/tailor/params"

	"github.com/tailor-ml/tailor/tensor"
)

func TestFlattenShapes(t *testing.T) {
	tests := []struct {
		in      tensor.Shape
		wantOut tensor.Shape
	}{
		{tensor.Shape{28, 28}, tensor.Shape{784}},
		{tensor.Shape{2, 3, 4}, tensor.Shape{24}},
		{tensor.Shape{5}, tensor.Shape{5}},
	}
	for _, tt := range tests {
		t.Run(tt.in.String(), func(t *testing.T) {
			f := Flatten()
			out := buildForTest(t, f, tt.in)
			if !out.Equal(tt.wantOut) {
				t.Fatalf("Build(%v) = %v, want %v", tt.in, out, tt.wantOut)
			}
			const batch = 3
			x := randomTensor(rand.New(rand.NewPCG(1, 1)), append(tensor.Shape{batch}, tt.in...)...)
			y := f.Forward(st(f), x, true)
			if want := append(tensor.Shape{batch}, tt.wantOut...); !y.Shape.Equal(want) {
				t.Fatalf("Forward: shape %v, want %v", y.Shape, want)
			}
			for i := range x.Data {
				if y.Data[i] != x.Data[i] {
					t.Fatalf("Forward changed element %d", i)
				}
			}
			dy := randomTensor(rand.New(rand.NewPCG(2, 2)), y.Shape...)
			dx := f.Backward(st(f), dy, true)
			if !dx.Shape.Equal(x.Shape) {
				t.Fatalf("Backward: shape %v, want %v", dx.Shape, x.Shape)
			}
			for i := range dy.Data {
				if dx.Data[i] != dy.Data[i] {
					t.Fatalf("Backward changed element %d", i)
				}
			}
			if dx := f.Backward(st(f), dy, false); dx != nil {
				t.Errorf("Backward(dy, false) = %v, want nil", dx.Shape)
			}
			// A smaller batch afterwards gets its own shapes.
			y = f.Forward(st(f), x.Slice(0, 1), false)
			if want := append(tensor.Shape{1}, tt.wantOut...); !y.Shape.Equal(want) {
				t.Errorf("Forward of one example: shape %v, want %v", y.Shape, want)
			}
			checkLayerGradients(t, Flatten(), tt.in, 2, true)
		})
	}
}

func TestFlattenInputShape(t *testing.T) {
	f := Flatten(28, 28)
	if got := f.InputShape(); !got.Equal(tensor.Shape{28, 28}) {
		t.Errorf("InputShape() = %v, want (28, 28)", got)
	}
	if got := Flatten().InputShape(); len(got) != 0 {
		t.Errorf("Flatten().InputShape() = %v, want none", got)
	}
	if f.Type() != "Flatten" || len(f.Params()) != 0 {
		t.Errorf("Type %q, %d params", f.Type(), len(f.Params()))
	}
}

func TestFlattenBuildErrors(t *testing.T) {
	for _, in := range []tensor.Shape{{}, {0}, {3, 0}} {
		if out, err := Flatten().Build(in, params.NewBuilder()); err == nil {
			t.Errorf("Build(%v) = %v, want an error", in, out)
		}
	}
}
