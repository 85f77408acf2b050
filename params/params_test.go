package params_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// TestBind checks the arena's layout: trainable weights first and
// contiguous, gradients matching them, views of the right shapes, lookups
// by path, and initializers run in declaration order.
func TestBind(t *testing.T) {
	b := params.NewBuilder()
	b.SetLayer("dense")
	kernel := b.Add("kernel", params.GlorotUniform, true, 3, 4)
	bias := b.Add("bias", params.Zeros, true, 4)
	b.SetLayer("norm")
	mean := b.Add("moving_mean", params.Zeros, false, 4)
	vari := b.Add("moving_variance", params.Ones, false, 4)
	gamma := b.Add("gamma", params.Ones, true, 4)
	if b.Size() != 12+4*4 {
		t.Fatalf("Size() = %d", b.Size())
	}
	if kernel.Value.Data != nil {
		t.Fatal("a declared weight has storage before Bind")
	}
	a := b.Bind(rand.New(rand.NewPCG(1, 2)))

	if tr, nt := a.Count(); tr != 20 || nt != 8 {
		t.Fatalf("Count() = %d, %d; want 20, 8", tr, nt)
	}
	values, grads := a.Trainable()
	if len(values) != 20 || len(grads) != 20 {
		t.Fatalf("Trainable() lengths %d, %d", len(values), len(grads))
	}
	// The trainable weights in declaration order, then the others.
	offsets := map[*params.Param]int{kernel: 0, bias: 12, gamma: 16, mean: 20, vari: 24}
	for p, off := range offsets {
		got, o := a.Lookup(p.Path())
		if got != p || o != off {
			t.Errorf("Lookup(%s) = %v at %d, want offset %d", p.Path(), got, o, off)
		}
		if &a.Values()[off] != &p.Value.Data[0] {
			t.Errorf("%s is not a view of the arena at %d", p.Path(), off)
		}
		if p.Trainable() && &grads[off] != &p.Grad.Data[0] {
			t.Errorf("%s's gradient is not a view of the gradients at %d", p.Path(), off)
		}
	}
	if p, _ := a.Lookup("dense/weights"); p != nil {
		t.Error("Lookup found a weight that does not exist")
	}
	if kernel.Path() != "dense/kernel" || kernel.Name != "kernel" || !kernel.Value.Shape.Equal(tensor.Shape{3, 4}) {
		t.Errorf("kernel: path %q, name %q, shape %v", kernel.Path(), kernel.Name, kernel.Value.Shape)
	}
	// Glorot's limit for a 3×4 kernel is √(6/7); the draws are those of
	// the generator in order.
	limit, rng := math.Sqrt(6.0/7), rand.New(rand.NewPCG(1, 2))
	for i, w := range kernel.Value.Data {
		if want := float32((2*rng.Float64() - 1) * limit); w != want {
			t.Fatalf("kernel[%d] = %v, want %v", i, w, want)
		}
	}
	if !slices.Equal(vari.Value.Data, []float32{1, 1, 1, 1}) || !slices.Equal(gamma.Value.Data, []float32{1, 1, 1, 1}) || !slices.Equal(bias.Value.Data, make([]float32, 4)) {
		t.Error("ones or zeros initializer wrong")
	}
	// Slices of the arena cannot grow into the next weight.
	if cap(kernel.Value.Data) != 12 {
		t.Errorf("kernel's view has capacity %d, want 12", cap(kernel.Value.Data))
	}
}

func TestPack(t *testing.T) {
	w := params.New("dense/kernel", true, 2)
	copy(w.Value.Data, []float32{1, 2})
	copy(w.Grad.Data, []float32{3, 4})
	f := params.New("norm/moving_mean", false, 1)
	f.Value.Data[0] = 5
	a, err := params.Pack(f, w)
	if err != nil {
		t.Fatal(err)
	}
	values, grads := a.Trainable()
	if !slices.Equal(values, []float32{1, 2}) || !slices.Equal(grads, []float32{3, 4}) || !slices.Equal(a.Values(), []float32{1, 2, 5}) {
		t.Errorf("packed values %v, grads %v", a.Values(), grads)
	}
	values[0] = 9
	if w.Value.Data[0] != 9 {
		t.Error("the packed weight is not a view of the arena")
	}
	if w.Name != "kernel" || w.Path() != "dense/kernel" {
		t.Errorf("name %q path %q", w.Name, w.Path())
	}
	if _, err := params.Pack(w, params.New("dense/kernel", true, 1)); err == nil || !strings.Contains(err.Error(), `two weights have the path "dense/kernel"`) {
		t.Errorf("Pack with a duplicate path: %v", err)
	}
}
