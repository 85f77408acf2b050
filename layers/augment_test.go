package layers

import (
	"testing"

	"github.com/tailor-ml/tailor/params"

	"github.com/tailor-ml/tailor/tensor"
)

// distinctImages returns b images of shape in whose values are all
// different, so that where each output pixel came from can be read off.
func distinctImages(b int, in tensor.Shape) *tensor.Tensor {
	x := tensor.New(append(tensor.Shape{b}, in...)...)
	for i := range x.Data {
		x.Data[i] = float32(i + 1)
	}
	return x
}

func TestAugmentationInference(t *testing.T) {
	for _, l := range []Layer{RandomFlip(HorizontalAndVertical), RandomTranslation(0.2, 0.2)} {
		buildForTest(t, l, tensor.Shape{5, 6, 2})
		x := distinctImages(3, tensor.Shape{5, 6, 2})
		l.(Stochastic).SeedStep(st(l), 1, 1)
		if y := l.Forward(st(l), x, false); y != x {
			t.Errorf("%s: inference changed the input", l.Type())
		}
		if dy := l.Backward(st(l), x, true); dy != x {
			t.Errorf("%s: inference backward changed the gradient", l.Type())
		}
	}
}

func TestRandomFlip(t *testing.T) {
	const b, h, w = 400, 3, 4
	in := tensor.Shape{h, w}
	for _, mode := range []string{Horizontal, Vertical, HorizontalAndVertical} {
		f := RandomFlip(mode)
		f.SetName("flip")
		buildForTest(t, f, in)
		x := distinctImages(b, in)
		f.SeedStep(st(f), 3, 7)
		y := f.Forward(st(f), x, true)
		counts := map[[2]bool]int{}
		for i := 0; i < b; i++ {
			xi, yi := x.Row(i), y.Row(i)
			var kind [2]bool
			found := false
			for _, k := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				match := true
				for r := 0; r < h && match; r++ {
					for c := 0; c < w; c++ {
						sr, sc := r, c
						if k[1] {
							sr = h - 1 - r
						}
						if k[0] {
							sc = w - 1 - c
						}
						if yi[r*w+c] != xi[sr*w+sc] {
							match = false
							break
						}
					}
				}
				if match {
					kind, found = k, true
					break
				}
			}
			if !found {
				t.Fatalf("%s: image %d is not a flip of the input", mode, i)
			}
			counts[kind]++
		}
		switch mode {
		case Horizontal:
			if counts[[2]bool{true, false}] < 150 || counts[[2]bool{true, false}] > 250 || len(counts) != 2 {
				t.Errorf("%s: flips %v, want about half left-right and nothing else", mode, counts)
			}
		case Vertical:
			if counts[[2]bool{false, true}] < 150 || counts[[2]bool{false, true}] > 250 || len(counts) != 2 {
				t.Errorf("%s: flips %v, want about half upside down and nothing else", mode, counts)
			}
		case HorizontalAndVertical:
			for k, n := range counts {
				if n < 60 || n > 140 {
					t.Errorf("%s: %v %d times of %d, want about a quarter", mode, k, n, b)
				}
			}
		}
	}
	if _, err := RandomFlip("diagonal").Build(in, params.NewBuilder()); err == nil {
		t.Error("mode diagonal: no error")
	}
}

func TestRandomTranslation(t *testing.T) {
	const b, h, w = 200, 10, 10
	in := tensor.Shape{h, w}
	tr := RandomTranslation(0.2, 0.1, TranslationOptions{FillMode: FillConstant, FillValue: -1})
	tr.SetName("translation")
	buildForTest(t, tr, in)
	x := distinctImages(b, in)
	tr.SeedStep(st(tr), 1, 2)
	y := tr.Forward(st(tr), x, true)
	seen := map[[2]int]bool{}
	for i := 0; i < b; i++ {
		shifts := st(tr).(*translationState).shifts
		dy, dx := shifts[2*i], shifts[2*i+1]
		if dy < -2 || dy > 2 || dx < -1 || dx > 1 {
			t.Fatalf("image %d shifted by (%d, %d), beyond (±2, ±1)", i, dy, dx)
		}
		seen[[2]int{dy, dx}] = true
		xi, yi := x.Row(i), y.Row(i)
		for r := 0; r < h; r++ {
			for c := 0; c < w; c++ {
				want := float32(-1)
				if sr, sc := r-dy, c-dx; sr >= 0 && sr < h && sc >= 0 && sc < w {
					want = xi[sr*w+sc]
				}
				if yi[r*w+c] != want {
					t.Fatalf("image %d, shift (%d, %d): y[%d,%d] = %v, want %v", i, dy, dx, r, c, yi[r*w+c], want)
				}
			}
		}
	}
	if len(seen) != 15 {
		t.Errorf("%d distinct shifts in %d images, want all 15", len(seen), b)
	}
	for _, bad := range []*RandomTranslationLayer{RandomTranslation(1.5, 0), RandomTranslation(0.1, 0.1, TranslationOptions{FillMode: "mirror"})} {
		if _, err := bad.Build(in, params.NewBuilder()); err == nil {
			t.Errorf("%v: no error", bad.Config())
		}
	}
}

func TestFillModes(t *testing.T) {
	const n = 4 // a b c d
	for _, tt := range []struct {
		mode string
		want []int // sources of −5..8
	}{
		{FillReflect, []int{3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0}}, // d c b a | a b c d | d c b a
		{FillNearest, []int{0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3}},
		{FillWrap, []int{3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0}},
		{FillConstant, []int{-1, -1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1, -1, -1}},
	} {
		tr := RandomTranslation(0, 0, TranslationOptions{FillMode: tt.mode})
		for i, want := range tt.want {
			if got := tr.source(i-5, n); got != want {
				t.Errorf("%s: source(%d) = %d, want %d", tt.mode, i-5, got, want)
			}
		}
	}
}

func TestAugmentationGradients(t *testing.T) {
	checkLayerGradients(t, RandomFlip(HorizontalAndVertical), tensor.Shape{4, 5, 2}, 4, true)
	for _, mode := range []string{FillReflect, FillConstant, FillNearest, FillWrap} {
		checkLayerGradients(t, RandomTranslation(0.5, 0.5, TranslationOptions{FillMode: mode}), tensor.Shape{4, 5, 2}, 4, true)
	}
}

func TestAugmentationSeeding(t *testing.T) {
	run := func(name string, step uint64) []float32 {
		tr := RandomTranslation(0.3, 0.3)
		tr.SetName(name)
		buildForTest(t, tr, tensor.Shape{8, 8})
		tr.SeedStep(st(tr), 1, step)
		return append([]float32(nil), tr.Forward(st(tr), distinctImages(16, tensor.Shape{8, 8}), true).Data...)
	}
	equal := func(a, b []float32) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	a := run("t", 1)
	if !equal(a, run("t", 1)) {
		t.Error("same seed and step: different translations")
	}
	if equal(a, run("t", 2)) || equal(a, run("u", 1)) {
		t.Error("another step or layer: the same translations")
	}
}

func TestAugmentationConfig(t *testing.T) {
	f := RandomFlip(Horizontal, 28, 28)
	f.SetName("f")
	checkConfig(t, f.Config(), map[string]any{"name": "f", "mode": "horizontal", "input_shape": []int{28, 28}})
	if !f.InputShape().Equal(tensor.Shape{28, 28}) {
		t.Errorf("InputShape %v", f.InputShape())
	}
	tr := RandomTranslation(0.1, 0.2, TranslationOptions{FillMode: FillConstant, FillValue: 0.5})
	tr.SetName("t")
	checkConfig(t, tr.Config(), map[string]any{"name": "t", "height_factor": 0.1, "width_factor": 0.2, "fill_mode": "constant", "fill_value": 0.5, "interpolation": "nearest"})
	if RandomTranslation(0.1, 0.1).Config()["fill_mode"] != "reflect" {
		t.Error("default fill mode is not reflect")
	}
}

func TestAugmentationNoAllocs(t *testing.T) {
	checkNoAllocs(t, RandomFlip(HorizontalAndVertical), tensor.Shape{28, 28}, 8, true)
	checkNoAllocs(t, RandomTranslation(0.1, 0.1), tensor.Shape{28, 28, 3}, 8, true)
}

func TestRandomErasing(t *testing.T) {
	const b, h, w = 300, 10, 12
	e := RandomErasing(0.5, ErasingOptions{FillValue: -1})
	e.SetName("erasing")
	buildForTest(t, e, tensor.Shape{h, w, 2})
	x := distinctImages(b, tensor.Shape{h, w, 2})
	e.SeedStep(st(e), 4, 4)
	y := e.Forward(st(e), x, true)
	erased := 0
	rects := st(e).(*erasingState).rects
	for i := 0; i < b; i++ {
		top, left, rh, rw := rects[4*i], rects[4*i+1], rects[4*i+2], rects[4*i+3]
		if rh > 0 {
			erased++
			if a := float64(rh*rw) / (h * w); a < 0.01 || a > 0.45 || top+rh > h || left+rw > w {
				t.Fatalf("image %d: rectangle %v, area fraction %v", i, rects[4*i:4*i+4], a)
			}
		}
		for r := 0; r < h; r++ {
			for c := 0; c < w; c++ {
				in := r >= top && r < top+rh && c >= left && c < left+rw
				for k := 0; k < 2; k++ {
					o := (r*w+c)*2 + k
					if want := x.Row(i)[o]; in {
						want = -1
						if y.Row(i)[o] != want {
							t.Fatalf("image %d (%d, %d): %v, want the fill", i, r, c, y.Row(i)[o])
						}
					} else if y.Row(i)[o] != want {
						t.Fatalf("image %d (%d, %d): %v, want the input %v", i, r, c, y.Row(i)[o], want)
					}
				}
			}
		}
	}
	if erased < 110 || erased > 190 {
		t.Errorf("%d of %d images erased, want about half", erased, b)
	}
	if y := e.Forward(st(e), x, false); y != x {
		t.Error("inference changed the input")
	}
	checkLayerGradients(t, RandomErasing(1), tensor.Shape{6, 5, 2}, 4, true)
	checkNoAllocs(t, RandomErasing(0.5), tensor.Shape{28, 28}, 8, true)
	cfg := RandomErasing(0.5).Config()
	if cfg["factor"] != 0.5 || cfg["fill_value"] != 0.0 {
		t.Errorf("config %v", cfg)
	}
	for _, bad := range []*RandomErasingLayer{RandomErasing(2), RandomErasing(0.5, ErasingOptions{Scale: [2]float64{0.5, 0.1}})} {
		if _, err := bad.Build(tensor.Shape{8, 8}, params.NewBuilder()); err == nil {
			t.Errorf("%v: no error", bad.Config())
		}
	}
}
