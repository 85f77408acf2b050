package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// Augmentation layers, Keras's preprocessing layers: in training each
// transforms every image of the batch at random; at inference each passes
// its input through unchanged. They draw from a PCG generator that the
// model reseeds before every training step from the Fit seed, the step
// number and the layer's name (see Stochastic), so a run is reproducible.
//
// Images are (H, W) or (H, W, C), channels last. Each transformation moves
// pixels and is linear in the input, so Backward sends the gradient back
// along the same moves.

// augment is what the augmentation layers share: the image geometry.
type augment struct {
	named
	noParams
	inputShape tensor.Shape
	h, w, c    int
}

// augmentState is what the augmentation layers' states share: the random
// generator and the buffers.
type augmentState struct {
	pcg     rand.PCG
	rng     *rand.Rand
	active  bool // whether the last Forward transformed
	out, dx tensor.Tensor
}

// init points the generator at the state's own PCG, which SeedStep
// reseeds; it must run once the state is at its final address.
func (s *augmentState) init() { s.rng = rand.New(&s.pcg) }

func (a *augment) build(kind string, in tensor.Shape) (tensor.Shape, error) {
	h, w, c, err := imageShape(in)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", kind, a.name, err)
	}
	a.h, a.w, a.c = h, w, c
	return append(tensor.Shape(nil), in...), nil
}

// seed reseeds a state's generator for one training step.
func (a *augment) seed(s *augmentState, seed, step uint64) { s.pcg.Seed(seed^nameHash(a.name), step) }

// InputShape returns the declared input shape, or nil.
func (a *augment) InputShape() tensor.Shape { return a.inputShape }

// RandomFlipLayer flips each image left-right and/or upside down, each
// with probability ½, in training.
type RandomFlipLayer struct {
	augment
	mode       string
	horizontal bool
	vertical   bool
}

// flipState is one call's generator, buffers and flips.
type flipState struct {
	augmentState
	flips []uint8 // per image of the last batch: bit 0 left-right, bit 1 upside down
}

// The modes of RandomFlip, as Keras names them.
const (
	Horizontal            = "horizontal"
	Vertical              = "vertical"
	HorizontalAndVertical = "horizontal_and_vertical"
)

// RandomFlip returns a layer that flips images at random in training:
// mode is Horizontal (left-right), Vertical (upside down) or
// HorizontalAndVertical. Dimensions given declare the model's input shape,
// as in RandomFlip("horizontal", 28, 28).
func RandomFlip(mode string, inputShape ...int) *RandomFlipLayer {
	return &RandomFlipLayer{augment: augment{inputShape: append(tensor.Shape(nil), inputShape...)}, mode: mode}
}

// Type returns "RandomFlip".
func (f *RandomFlipLayer) Type() string { return "RandomFlip" }

// Build checks the mode and the image shape; the output shape is the input
// shape.
func (f *RandomFlipLayer) Build(in tensor.Shape, _ *params.Builder) (tensor.Shape, error) {
	switch f.mode {
	case Horizontal:
		f.horizontal, f.vertical = true, false
	case Vertical:
		f.horizontal, f.vertical = false, true
	case HorizontalAndVertical:
		f.horizontal, f.vertical = true, true
	default:
		return nil, fmt.Errorf("random_flip %q: mode %q, want %q, %q or %q", f.name, f.mode, Horizontal, Vertical, HorizontalAndVertical)
	}
	return f.build("random_flip", in)
}

// NewState returns an empty state.
func (f *RandomFlipLayer) NewState() State {
	st := &flipState{}
	st.init()
	return st
}

// SeedStep reseeds the state's generator for one training step.
func (f *RandomFlipLayer) SeedStep(s State, seed, step uint64) {
	f.seed(&stateOf[flipState](s, "RandomFlip").augmentState, seed, step)
}

// Forward flips each image of x with probability ½ per direction in
// training, and returns x itself at inference.
func (f *RandomFlipLayer) Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor {
	st := stateOf[flipState](s, "RandomFlip")
	st.active = training
	if !training {
		return x
	}
	b := x.Len()
	if cap(st.flips) < b {
		st.flips = make([]uint8, b)
	}
	st.flips = st.flips[:b]
	for i := range st.flips {
		u := st.rng.Uint64()
		var fl uint8
		if f.horizontal && u&1 != 0 {
			fl |= 1
		}
		if f.vertical && u&2 != 0 {
			fl |= 2
		}
		st.flips[i] = fl
	}
	st.out.Resize(x.Shape...)
	f.apply(st.out.Data, x.Data, st.flips)
	return &st.out
}

// apply writes into dst each image of src flipped as flips says. A flip
// is its own inverse, so Backward applies it to dy too.
func (f *RandomFlipLayer) apply(dst, src []float32, flips []uint8) {
	h, w, c := f.h, f.w, f.c
	size := h * w * c
	for i, fl := range flips {
		s, d := src[i*size:(i+1)*size], dst[i*size:(i+1)*size]
		for y := 0; y < h; y++ {
			sy := y
			if fl&2 != 0 {
				sy = h - 1 - y
			}
			srow, drow := s[sy*w*c:(sy+1)*w*c], d[y*w*c:(y+1)*w*c]
			if fl&1 == 0 {
				copy(drow, srow)
				continue
			}
			for x := 0; x < w; x++ {
				copy(drow[x*c:(x+1)*c], srow[(w-1-x)*c:(w-x)*c])
			}
		}
	}
}

// Backward flips dy back: in the forward pass y was x flipped, so dx is dy
// flipped the same way.
func (f *RandomFlipLayer) Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if !needInputGrad {
		return nil
	}
	st := stateOf[flipState](s, "RandomFlip")
	if !st.active {
		return dy
	}
	st.dx.Resize(dy.Shape...)
	f.apply(st.dx.Data, dy.Data, st.flips)
	return &st.dx
}

// Config returns mode, and input_shape when one was declared.
func (f *RandomFlipLayer) Config() map[string]any {
	cfg := map[string]any{"name": f.name, "mode": f.mode}
	addInputShape(cfg, f.inputShape)
	return cfg
}

// The fill modes of RandomTranslation, as Keras names them: how the pixels
// shifted in from beyond the border are filled.
const (
	// FillReflect mirrors the image about its edge: d c b a | a b c d.
	FillReflect = "reflect"
	// FillConstant fills with FillValue.
	FillConstant = "constant"
	// FillNearest repeats the edge pixel: a a a a | a b c d.
	FillNearest = "nearest"
	// FillWrap wraps around: a b c d | a b c d.
	FillWrap = "wrap"
)

// TranslationOptions are RandomTranslation's keyword arguments; the zero
// value is Keras's default.
type TranslationOptions struct {
	// FillMode is FillReflect (the default), FillConstant, FillNearest or
	// FillWrap.
	FillMode string
	// FillValue is the value FillConstant fills with (default 0).
	FillValue float64
	// InputShape declares the model's input shape.
	InputShape []int
}

// RandomTranslationLayer shifts each image by a random whole number of
// pixels in training: up or down by up to heightFactor·H rows and left or
// right by up to widthFactor·W columns, both drawn uniformly (Keras's
// interpolation="nearest"). The pixels shifted in are filled as the fill
// mode says.
type RandomTranslationLayer struct {
	augment
	heightFactor, widthFactor float64
	fillMode                  string
	fillValue                 float32
}

// translationState is one call's generator, buffers and shifts.
type translationState struct {
	augmentState
	shifts     []int // per image of the last batch: rows, columns
	rows, cols []int // source row and column of each output pixel, −1 for the fill
}

// RandomTranslation returns a layer that shifts images at random in
// training by up to heightFactor of their height and widthFactor of their
// width (each in [0, 1]), with Keras's defaults unless opts says otherwise.
func RandomTranslation(heightFactor, widthFactor float64, opts ...TranslationOptions) *RandomTranslationLayer {
	var o TranslationOptions
	if len(opts) > 0 {
		o = opts[len(opts)-1]
	}
	if o.FillMode == "" {
		o.FillMode = FillReflect
	}
	return &RandomTranslationLayer{
		augment:      augment{inputShape: append(tensor.Shape(nil), o.InputShape...)},
		heightFactor: heightFactor, widthFactor: widthFactor,
		fillMode: o.FillMode, fillValue: float32(o.FillValue),
	}
}

// Type returns "RandomTranslation".
func (t *RandomTranslationLayer) Type() string { return "RandomTranslation" }

// Build checks the factors, the fill mode and the image shape; the output
// shape is the input shape.
func (t *RandomTranslationLayer) Build(in tensor.Shape, _ *params.Builder) (tensor.Shape, error) {
	if !(t.heightFactor >= 0 && t.heightFactor <= 1) || !(t.widthFactor >= 0 && t.widthFactor <= 1) {
		return nil, fmt.Errorf("random_translation %q: factors %v and %v, want values in [0, 1]", t.name, t.heightFactor, t.widthFactor)
	}
	switch t.fillMode {
	case FillReflect, FillConstant, FillNearest, FillWrap:
	default:
		return nil, fmt.Errorf("random_translation %q: fill mode %q, want %q, %q, %q or %q", t.name, t.fillMode, FillReflect, FillConstant, FillNearest, FillWrap)
	}
	return t.build("random_translation", in)
}

// NewState returns a state for the built image size.
func (t *RandomTranslationLayer) NewState() State {
	st := &translationState{rows: make([]int, t.h), cols: make([]int, t.w)}
	st.init()
	return st
}

// SeedStep reseeds the state's generator for one training step.
func (t *RandomTranslationLayer) SeedStep(s State, seed, step uint64) {
	t.seed(&stateOf[translationState](s, "RandomTranslation").augmentState, seed, step)
}

// Forward shifts each image of x in training, and returns x itself at
// inference.
func (t *RandomTranslationLayer) Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor {
	st := stateOf[translationState](s, "RandomTranslation")
	st.active = training
	if !training {
		return x
	}
	b := x.Len()
	if cap(st.shifts) < 2*b {
		st.shifts = make([]int, 2*b)
	}
	st.shifts = st.shifts[:2*b]
	maxDy, maxDx := int(math.Round(t.heightFactor*float64(t.h))), int(math.Round(t.widthFactor*float64(t.w)))
	for i := 0; i < b; i++ {
		st.shifts[2*i] = st.rng.IntN(2*maxDy+1) - maxDy
		st.shifts[2*i+1] = st.rng.IntN(2*maxDx+1) - maxDx
	}
	st.out.Resize(x.Shape...)
	t.move(st, st.out.Data, x.Data, false)
	return &st.out
}

// move translates every image by st's shifts: with backward false it
// gathers dst from src (the forward pass); with it true it scatters src, a
// gradient, back to the pixels dst it was gathered from, adding where
// several output pixels read the same input pixel (at a reflected or
// repeated border).
func (t *RandomTranslationLayer) move(st *translationState, dst, src []float32, backward bool) {
	h, w, c := t.h, t.w, t.c
	size := h * w * c
	if backward {
		clear(dst)
	}
	for i := 0; i < len(st.shifts)/2; i++ {
		for y := range st.rows {
			st.rows[y] = t.source(y-st.shifts[2*i], h)
		}
		for x := range st.cols {
			st.cols[x] = t.source(x-st.shifts[2*i+1], w)
		}
		s, d := src[i*size:(i+1)*size], dst[i*size:(i+1)*size]
		for y, sy := range st.rows {
			for x, sx := range st.cols {
				o := (y*w + x) * c
				if sy < 0 || sx < 0 { // outside, in constant mode
					if !backward {
						for k := 0; k < c; k++ {
							d[o+k] = t.fillValue
						}
					}
					continue
				}
				in := (sy*w + sx) * c
				if backward {
					for k := 0; k < c; k++ {
						d[in+k] += s[o+k]
					}
				} else {
					copy(d[o:o+c], s[in:in+c])
				}
			}
		}
	}
}

// source maps a coordinate that may lie outside [0, n) to the pixel that
// fills it, or −1 for the constant fill.
func (t *RandomTranslationLayer) source(i, n int) int {
	if i >= 0 && i < n {
		return i
	}
	switch t.fillMode {
	case FillConstant:
		return -1
	case FillNearest:
		return min(max(i, 0), n-1)
	case FillWrap:
		return ((i % n) + n) % n
	}
	// reflect about the edge: −1 → 0, −2 → 1, n → n−1, with period 2n.
	i = ((i % (2 * n)) + 2*n) % (2 * n)
	if i >= n {
		i = 2*n - 1 - i
	}
	return i
}

// Backward sends dy back along the shifts: in the forward pass y[p] was
// x[source(p)], so dx[q] is the sum of dy[p] over the p that read q.
func (t *RandomTranslationLayer) Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if !needInputGrad {
		return nil
	}
	st := stateOf[translationState](s, "RandomTranslation")
	if !st.active {
		return dy
	}
	st.dx.Resize(dy.Shape...)
	t.move(st, st.dx.Data, dy.Data, true)
	return &st.dx
}

// Config returns height_factor, width_factor, fill_mode, fill_value and
// interpolation (always nearest), and input_shape when one was declared.
func (t *RandomTranslationLayer) Config() map[string]any {
	cfg := map[string]any{"name": t.name, "height_factor": t.heightFactor, "width_factor": t.widthFactor,
		"fill_mode": t.fillMode, "fill_value": float64(t.fillValue), "interpolation": "nearest"}
	addInputShape(cfg, t.inputShape)
	return cfg
}

// ErasingOptions are RandomErasing's keyword arguments; the zero value is
// the defaults of Zhong et al.'s random erasing.
type ErasingOptions struct {
	// Scale is the range of the erased area as a fraction of the image,
	// (0.02, 0.4) when zero.
	Scale [2]float64
	// Ratio is the range of the erased rectangle's aspect ratio (height
	// over width), (0.3, 1/0.3) when zero; it is drawn log-uniformly.
	Ratio [2]float64
	// FillValue is the value the rectangle is filled with (default 0).
	FillValue float64
	// InputShape declares the model's input shape.
	InputShape []int
}

// RandomErasingLayer blanks a random rectangle of each image with
// probability factor in training (Zhong et al., "Random Erasing Data
// Augmentation", 2017): its area is drawn uniformly from Scale times the
// image's, its aspect ratio log-uniformly from Ratio, its position
// uniformly among those where it fits; it is filled with FillValue in
// every channel.
type RandomErasingLayer struct {
	augment
	factor    float64
	opts      ErasingOptions
	fillValue float32
}

// erasingState is one call's generator, buffers and rectangles.
type erasingState struct {
	augmentState
	rects []int // per image of the last batch: top, left, height, width (height 0: none)
}

// RandomErasing returns a layer that erases a rectangle of each image with
// probability factor in training, with the defaults of ErasingOptions
// unless opts says otherwise.
func RandomErasing(factor float64, opts ...ErasingOptions) *RandomErasingLayer {
	var o ErasingOptions
	if len(opts) > 0 {
		o = opts[len(opts)-1]
	}
	if o.Scale == [2]float64{} {
		o.Scale = [2]float64{0.02, 0.4}
	}
	if o.Ratio == [2]float64{} {
		o.Ratio = [2]float64{0.3, 1 / 0.3}
	}
	return &RandomErasingLayer{
		augment: augment{inputShape: append(tensor.Shape(nil), o.InputShape...)},
		factor:  factor, opts: o, fillValue: float32(o.FillValue),
	}
}

// Type returns "RandomErasing".
func (e *RandomErasingLayer) Type() string { return "RandomErasing" }

// Build checks the options and the image shape; the output shape is the
// input shape.
func (e *RandomErasingLayer) Build(in tensor.Shape, _ *params.Builder) (tensor.Shape, error) {
	s, r := e.opts.Scale, e.opts.Ratio
	if !(e.factor >= 0 && e.factor <= 1) || !(s[0] > 0 && s[0] <= s[1] && s[1] <= 1) || !(r[0] > 0 && r[0] <= r[1]) {
		return nil, fmt.Errorf("random_erasing %q: factor %v, scale %v, ratio %v: want a factor in [0, 1], 0 < scale ≤ 1 and 0 < ratio, each range in order", e.name, e.factor, s, r)
	}
	return e.build("random_erasing", in)
}

// NewState returns an empty state.
func (e *RandomErasingLayer) NewState() State {
	st := &erasingState{}
	st.init()
	return st
}

// SeedStep reseeds the state's generator for one training step.
func (e *RandomErasingLayer) SeedStep(s State, seed, step uint64) {
	e.seed(&stateOf[erasingState](s, "RandomErasing").augmentState, seed, step)
}

// Forward erases a rectangle of some images of x in training, and returns
// x itself at inference.
func (e *RandomErasingLayer) Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor {
	st := stateOf[erasingState](s, "RandomErasing")
	st.active = training
	if !training {
		return x
	}
	b := x.Len()
	if cap(st.rects) < 4*b {
		st.rects = make([]int, 4*b)
	}
	st.rects = st.rects[:4*b]
	for i := 0; i < b; i++ {
		e.draw(st.rng, st.rects[4*i:4*i+4])
	}
	st.out.Resize(x.Shape...)
	copy(st.out.Data, x.Data)
	e.erase(st.out.Data, st.rects, e.fillValue)
	return &st.out
}

// draw picks one image's rectangle: up to ten tries for one that fits, as
// the paper does, else none.
func (e *RandomErasingLayer) draw(rng *rand.Rand, r []int) {
	r[2] = 0
	if rng.Float64() >= e.factor {
		return
	}
	area := float64(e.h * e.w)
	lr0, lr1 := math.Log(e.opts.Ratio[0]), math.Log(e.opts.Ratio[1])
	for try := 0; try < 10; try++ {
		a := area * (e.opts.Scale[0] + (e.opts.Scale[1]-e.opts.Scale[0])*rng.Float64())
		ratio := math.Exp(lr0 + (lr1-lr0)*rng.Float64())
		h, w := int(math.Round(math.Sqrt(a*ratio))), int(math.Round(math.Sqrt(a/ratio)))
		if h >= 1 && w >= 1 && h <= e.h && w <= e.w {
			r[0], r[1], r[2], r[3] = rng.IntN(e.h-h+1), rng.IntN(e.w-w+1), h, w
			return
		}
	}
}

// erase sets every image's rectangle of d to v.
func (e *RandomErasingLayer) erase(d []float32, rects []int, v float32) {
	size := e.h * e.w * e.c
	for i := 0; i < len(rects)/4; i++ {
		top, left, h, w := rects[4*i], rects[4*i+1], rects[4*i+2], rects[4*i+3]
		img := d[i*size : (i+1)*size]
		for y := top; y < top+h; y++ {
			row := img[(y*e.w+left)*e.c : (y*e.w+left+w)*e.c]
			for j := range row {
				row[j] = v
			}
		}
	}
}

// Backward passes dy through except on the erased rectangles, where the
// output did not depend on the input: there dx is 0.
func (e *RandomErasingLayer) Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if !needInputGrad {
		return nil
	}
	st := stateOf[erasingState](s, "RandomErasing")
	if !st.active {
		return dy
	}
	st.dx.Resize(dy.Shape...)
	copy(st.dx.Data, dy.Data)
	e.erase(st.dx.Data, st.rects, 0)
	return &st.dx
}

// Config returns factor, scale, ratio and fill_value, and input_shape when
// one was declared.
func (e *RandomErasingLayer) Config() map[string]any {
	cfg := map[string]any{"name": e.name, "factor": e.factor, "scale": []float64{e.opts.Scale[0], e.opts.Scale[1]},
		"ratio": []float64{e.opts.Ratio[0], e.opts.Ratio[1]}, "fill_value": float64(e.fillValue)}
	addInputShape(cfg, e.inputShape)
	return cfg
}
