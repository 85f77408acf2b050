package tensor

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestShapeString(t *testing.T) {
	tests := []struct {
		s    Shape
		want string
	}{
		{Shape{60000, 28, 28}, "(60000, 28, 28)"},
		{Shape{10}, "(10,)"},
		{Shape{}, "()"},
		{nil, "()"},
		{Shape{0}, "(0,)"},
		{Shape{3, 1}, "(3, 1)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", []int(tt.s), got, tt.want)
		}
	}
}

func TestShapeSizeEqual(t *testing.T) {
	if got := (Shape{60000, 28, 28}).Size(); got != 47040000 {
		t.Errorf("Size = %d", got)
	}
	if got := (Shape{}).Size(); got != 1 {
		t.Errorf("scalar Size = %d, want 1", got)
	}
	if got := (Shape{4, 0, 2}).Size(); got != 0 {
		t.Errorf("Size with a zero axis = %d, want 0", got)
	}
	for _, c := range []struct {
		a, b Shape
		want bool
	}{
		{Shape{2, 3}, Shape{2, 3}, true},
		{Shape{2, 3}, Shape{3, 2}, false},
		{Shape{6}, Shape{6, 1}, false},
		{Shape{}, nil, true},
	} {
		if got := c.a.Equal(c.b); got != c.want {
			t.Errorf("%v.Equal(%v) = %v", c.a, c.b, got)
		}
	}
}

func TestNewAndFromSlice(t *testing.T) {
	x := New(2, 3)
	if !x.Shape.Equal(Shape{2, 3}) || len(x.Data) != 6 || x.Len() != 2 {
		t.Errorf("New(2, 3): shape %v, %d values, Len %d", x.Shape, len(x.Data), x.Len())
	}
	if s := New(); len(s.Shape) != 0 || len(s.Data) != 1 || s.Len() != 0 {
		t.Errorf("New(): shape %v, %d values, Len %d; want a scalar", s.Shape, len(s.Data), s.Len())
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("New(2, -1) did not panic")
			}
		}()
		New(2, -1)
	}()

	dims := []int{2, 2}
	data := []float32{1, 2, 3, 4}
	y, err := FromSlice(data, dims...)
	if err != nil {
		t.Fatal(err)
	}
	dims[0] = 7  // the shape is the tensor's own
	data[3] = 40 // the data is not copied
	if !y.Shape.Equal(Shape{2, 2}) || y.Data[3] != 40 {
		t.Errorf("FromSlice: shape %v, data %v", y.Shape, y.Data)
	}
	if _, err := FromSlice(data, 3, 2); err == nil {
		t.Error("FromSlice of 4 values into (3, 2) succeeded")
	}
}

// TestFromUint8 checks the scaling against what numpy computes for
// images / 255.0: a float64 division rounded once to float32.
func TestFromUint8(t *testing.T) {
	px := make([]uint8, 256)
	for i := range px {
		px[i] = uint8(i)
	}
	tests := []struct {
		name  string
		scale float32
		want  func(v int) float32
	}{
		{"1/255", 1.0 / 255, func(v int) float32 { return float32(float64(v) / 255.0) }},
		{"1/128", 1.0 / 128, func(v int) float32 { return float32(float64(v) / 128.0) }},
		{"identity", 1, func(v int) float32 { return float32(v) }},
		{"2", 2, func(v int) float32 { return float32(2 * v) }},
		// 0.1 is taken for 1/10: numpy's x / 10.0.
		{"0.1", 0.1, func(v int) float32 { return float32(float64(v) / 10) }},
		{"0.3", 0.3, func(v int) float32 { return float32(float64(v) * float64(float32(0.3))) }},
		{"-1", -1, func(v int) float32 { return float32(-v) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := FromUint8(px, tt.scale, 16, 16)
			if err != nil {
				t.Fatal(err)
			}
			if !x.Shape.Equal(Shape{16, 16}) {
				t.Errorf("shape %v", x.Shape)
			}
			for v, got := range x.Data {
				if want := tt.want(v); got != want {
					t.Errorf("%d × %v = %v, want %v", v, tt.scale, got, want)
				}
			}
		})
	}
	x, _ := FromUint8([]uint8{0, 51, 255}, 1.0/255, 3)
	if x.Data[0] != 0 || x.Data[1] != 0.2 || x.Data[2] != 1 {
		t.Errorf("[0 51 255]/255 = %v, want [0 0.2 1]", x.Data)
	}
	if _, err := FromUint8(px, 1, 3); err == nil {
		t.Error("FromUint8 of 256 values into (3,) succeeded")
	}
}

// TestMeanUint8 checks that the mean of bytes is exact: their sum is an
// integer that float64 holds exactly, so the mean is that sum divided by
// the count, rounded once, as numpy computes it.
func TestMeanUint8(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 3, 128, 129, 1000, 1<<20 + 17} {
		px := make([]uint8, n)
		var sum int64
		for i := range px {
			px[i] = uint8(rng.UintN(256))
			sum += int64(px[i])
		}
		want := float64(sum) / float64(n)
		if got := Mean(px); got != want {
			t.Errorf("n=%d: Mean = %.17g, want %.17g", n, got, want)
		}
		x, _ := FromUint8(px, 1, n)
		if got := x.Mean(); got != want {
			t.Errorf("n=%d: Tensor.Mean = %.17g, want %.17g", n, got, want)
		}
	}
	if got := Mean([]uint8{1, 2, 2}); got != 5.0/3 {
		t.Errorf("Mean(1, 2, 2) = %v, want 5/3", got)
	}
	if got := Mean([]float32{}); got != 0 {
		t.Errorf("Mean of nothing = %v, want 0", got)
	}
}

// TestMeanFloat32 checks the pairwise sum: a million values of 0.1f sum
// to 1e6·0.1f within a few ulps in float64.
func TestMeanFloat32(t *testing.T) {
	xs := make([]float32, 1_000_000)
	for i := range xs {
		xs[i] = 0.1
	}
	want := float64(float32(0.1))
	if got := Mean(xs); math.Abs(got-want) > 1e-15 {
		t.Errorf("Mean = %.17g, want %.17g", got, want)
	}
}

func TestMaxMin(t *testing.T) {
	x, _ := FromSlice([]float32{-3, 2.5, -7, 2.5, 0}, 5)
	if x.Max() != 2.5 || x.Min() != -7 {
		t.Errorf("Max %v Min %v, want 2.5 and -7", x.Max(), x.Min())
	}
	if Max([]uint8{3, 255, 0}) != 255 || Min([]uint8{3, 255, 0}) != 0 {
		t.Error("Max/Min of bytes")
	}
	if Max([]float32(nil)) != 0 || Min([]int(nil)) != 0 {
		t.Error("Max/Min of nothing is not 0")
	}
	if Max([]int{-5, -2}) != -2 {
		t.Error("Max of negatives")
	}
}

func TestArgmax(t *testing.T) {
	tests := []struct {
		name  string
		data  []float32
		shape []int
		want  []int
	}{
		{"rows", []float32{0.1, 0.7, 0.2, 0.5, 0.1, 0.4}, []int{2, 3}, []int{1, 0}},
		{"tie takes the first", []float32{3, 1, 3, 0, 2, 2}, []int{2, 3}, []int{0, 1}},
		{"all equal", []float32{0, 0, 0, 0}, []int{1, 4}, []int{0}},
		{"negative", []float32{-3, -1, -2}, []int{3}, []int{1}},
		{"last wins alone", []float32{1, 2, 3}, []int{1, 1, 3}, []int{2}},
		{"scalar", []float32{5}, []int{}, []int{0}},
		{"no columns", []float32{}, []int{4, 0}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := FromSlice(tt.data, tt.shape...)
			if err != nil {
				t.Fatal(err)
			}
			got := x.Argmax()
			if len(got) != len(tt.want) {
				t.Fatalf("Argmax = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("Argmax = %v, want %v", got, tt.want)
				}
			}
		})
	}
	if got := Argmax([]uint8{7, 9, 9}); got != 1 {
		t.Errorf("Argmax of bytes = %d, want 1", got)
	}
}

func TestResize(t *testing.T) {
	var x Tensor
	x.Resize(4, 8)
	if !x.Shape.Equal(Shape{4, 8}) || len(x.Data) != 32 {
		t.Fatalf("Resize(4, 8): shape %v, %d values", x.Shape, len(x.Data))
	}
	base := &x.Data[0]
	x.Resize(2, 8)
	if !x.Shape.Equal(Shape{2, 8}) || len(x.Data) != 16 || &x.Data[0] != base {
		t.Errorf("Resize(2, 8): shape %v, %d values, storage reused %v", x.Shape, len(x.Data), &x.Data[0] == base)
	}
	x.Resize(32)
	if !x.Shape.Equal(Shape{32}) || len(x.Data) != 32 || &x.Data[0] != base {
		t.Errorf("Resize(32): shape %v, %d values, storage reused %v", x.Shape, len(x.Data), &x.Data[0] == base)
	}
	x.Resize(5, 8)
	if !x.Shape.Equal(Shape{5, 8}) || len(x.Data) != 40 {
		t.Errorf("Resize(5, 8): shape %v, %d values", x.Shape, len(x.Data))
	}
	// The shape is copied, not aliased.
	dims := []int{3, 3}
	x.Resize(dims...)
	dims[0] = 1
	if !x.Shape.Equal(Shape{3, 3}) {
		t.Errorf("Resize aliases its argument: shape %v", x.Shape)
	}
	// Once grown, resizing allocates nothing.
	if n := testing.AllocsPerRun(100, func() { x.Resize(4, 8); x.Resize(2, 3) }); n != 0 {
		t.Errorf("Resize allocates %v times", n)
	}
}

func TestSliceRowClone(t *testing.T) {
	x, _ := FromSlice([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3, 2, 2)
	s := x.Slice(1, 3)
	if !s.Shape.Equal(Shape{2, 2, 2}) || s.Len() != 2 || s.Data[0] != 4 || len(s.Data) != 8 {
		t.Fatalf("Slice(1, 3): shape %v, data %v", s.Shape, s.Data)
	}
	s.Data[0] = 40
	if x.Data[4] != 40 {
		t.Error("Slice does not share the data")
	}
	if e := x.Slice(2, 2); e.Len() != 0 || len(e.Data) != 0 {
		t.Errorf("empty Slice: shape %v", e.Shape)
	}
	if r := x.Row(2); len(r) != 4 || r[0] != 8 || r[3] != 11 {
		t.Errorf("Row(2) = %v", r)
	}
	c := x.Clone()
	c.Data[0], c.Shape[0] = 100, 9
	if x.Data[0] != 0 || x.Shape[0] != 3 {
		t.Error("Clone shares data or shape")
	}
	v, _ := FromSlice([]float32{1, 2, 3}, 3)
	if s := v.Slice(0, 2); !s.Shape.Equal(Shape{2}) || len(s.Data) != 2 {
		t.Errorf("Slice of a vector: shape %v", s.Shape)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		t    *Tensor
		want string // "" for a valid tensor
	}{
		{New(10, 4), ""},
		{New(), ""},
		{New(0, 3), ""},
		{&Tensor{Shape: Shape{10, 4}, Data: make([]float32, 8)}, "tensor: shape (10, 4) holds 40 values, Data has 8"},
		{&Tensor{Shape: Shape{2}, Data: make([]float32, 3)}, "tensor: shape (2,) holds 2 values, Data has 3"},
		{&Tensor{Shape: Shape{-2, -1}, Data: make([]float32, 2)}, "tensor: shape (-2, -1) has a negative dimension"},
		{nil, "tensor: nil tensor"},
	} {
		got := ""
		if err := tc.t.Validate(); err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("Validate() of %v = %q, want %q", tc.t, got, tc.want)
		}
	}
	// Gather refuses a malformed tensor rather than reading past its Data.
	short := &Tensor{Shape: Shape{10, 4}, Data: make([]float32, 8)}
	var dst Tensor
	if err := short.Gather(&dst, []int{9}); err == nil || err.Error() != "tensor: shape (10, 4) holds 40 values, Data has 8" {
		t.Errorf("Gather from a short tensor: %v", err)
	}
}

func TestTopK(t *testing.T) {
	xs := []float32{0.1, 0.5, 0.2, 0.5, -1}
	for _, tc := range []struct {
		k    int
		want []int
	}{{1, []int{1}}, {3, []int{1, 3, 2}}, {5, []int{1, 3, 2, 0, 4}}, {9, []int{1, 3, 2, 0, 4}}, {0, []int{}}, {-2, []int{}}} {
		if got := TopK(xs, tc.k); !slices.Equal(got, tc.want) {
			t.Errorf("TopK(%v, %d) = %v, want %v", xs, tc.k, got, tc.want)
		}
	}
}

// TestShapesThatCannotBe: a negative dimension, or a product of dimensions
// that overflows int (and would wrap to a small Size, such as 2 for
// (3, 6148914691236517206) or 0 for (2^32, 2^32)), is refused by every
// constructor and by Validate, with an error naming the shape, instead of
// giving a tensor whose rows lie past its Data.
func TestShapesThatCannotBe(t *testing.T) {
	const big = 6148914691236517206 // 3·big = 2^64 + 2
	for _, tc := range []struct {
		shape Shape
		data  int // values that the wrapped Size asks for
		want  string
	}{
		{Shape{-1, -1}, 1, "tensor: shape (-1, -1) has a negative dimension"},
		{Shape{2, 0, -3}, 0, "tensor: shape (2, 0, -3) has a negative dimension"},
		{Shape{3, big}, 2, "tensor: shape (3, 6148914691236517206) has more elements than an int can count"},
		{Shape{1 << 32, 1 << 32}, 0, "tensor: shape (4294967296, 4294967296) has more elements than an int can count"},
		{Shape{1 << 40, 1 << 40, 1}, 0, "tensor: shape (1099511627776, 1099511627776, 1) has more elements than an int can count"},
	} {
		if got := tc.shape.Size(); got != tc.data {
			t.Fatalf("%v.Size() = %d, want the wrapped %d the case is about", tc.shape, got, tc.data)
		}
		errText := func(err error) string {
			if err == nil {
				return "no error"
			}
			return err.Error()
		}
		if _, err := FromSlice(make([]float32, tc.data), tc.shape...); errText(err) != tc.want {
			t.Errorf("FromSlice(%d values, %v): %s, want %q", tc.data, tc.shape, errText(err), tc.want)
		}
		if _, err := FromUint8(make([]uint8, tc.data), 1, tc.shape...); errText(err) != tc.want {
			t.Errorf("FromUint8(%d values, %v): %s, want %q", tc.data, tc.shape, errText(err), tc.want)
		}
		x := &Tensor{Shape: tc.shape, Data: make([]float32, tc.data)}
		if err := x.Validate(); errText(err) != tc.want {
			t.Errorf("Validate of %v with %d values: %s, want %q", tc.shape, tc.data, errText(err), tc.want)
		}
		for name, f := range map[string]func(){
			"New":    func() { New(tc.shape...) },
			"Resize": func() { new(Tensor).Resize(tc.shape...) },
		} {
			func() {
				defer func() {
					if r := recover(); r != tc.want {
						t.Errorf("%s(%v) panicked with %v, want %q", name, tc.shape, r, tc.want)
					}
				}()
				f()
			}()
		}
	}
	// A zero axis makes the product 0 whatever the others are.
	if _, err := FromSlice(nil, 1<<40, 1<<40, 0); err != nil {
		t.Errorf("FromSlice(nil, 2^40, 2^40, 0): %v", err)
	}
}

// TestNaNLikeNumpy: numpy's max, min and argmax propagate a NaN wherever it
// stands (np.argmax([1, nan, 3]) is 1, np.max([1, nan]) is nan); these
// once gave 2, and 1 for [1, NaN] against NaN for [NaN, 1].
func TestNaNLikeNumpy(t *testing.T) {
	nan := float32(math.NaN())
	for _, xs := range [][]float32{{1, nan, 3}, {nan, 5}, {5, nan}, {-1, 2, 7, nan}, {nan, nan, 1}} {
		first := -1
		for i, v := range xs {
			if v != v {
				first = i
				break
			}
		}
		if got := Argmax(xs); got != first {
			t.Errorf("Argmax(%v) = %d, want %d (the first NaN)", xs, got, first)
		}
		if got := Max(xs); got == got {
			t.Errorf("Max(%v) = %v, want NaN", xs, got)
		}
		if got := Min(xs); got == got {
			t.Errorf("Min(%v) = %v, want NaN", xs, got)
		}
	}
	x, _ := FromSlice([]float32{1, nan, 3, 4, 2, 0}, 2, 3)
	if got := x.Argmax(); got[0] != 1 || got[1] != 0 {
		t.Errorf("Argmax of rows [1 NaN 3], [4 2 0] = %v, want [1 0]", got)
	}
	// Without a NaN nothing changes: the first of equal maxima.
	if got, m := Argmax([]float32{2, 7, 7, -1}), Max([]float32{2, 7, 7, -1}); got != 1 || m != 7 {
		t.Errorf("Argmax, Max of [2 7 7 -1] = %d, %v", got, m)
	}
}

// TestGatherErrorLeavesDst: a Gather refused for an index out of range
// leaves dst's shape and values as they were (it once resized dst first,
// to the batch it then did not gather).
func TestGatherErrorLeavesDst(t *testing.T) {
	src, _ := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 3, 2)
	dst, _ := FromSlice([]float32{9, 8}, 1, 2)
	err := src.Gather(dst, []int{0, 1, 3})
	if err == nil || err.Error() != "tensor: Gather: row 3 out of range [0, 3)" {
		t.Fatalf("Gather of row 3 of 3: %v", err)
	}
	if !dst.Shape.Equal(Shape{1, 2}) || len(dst.Data) != 2 || dst.Data[0] != 9 || dst.Data[1] != 8 {
		t.Errorf("after the refused Gather dst is %v %v, want (1, 2) [9 8]", dst.Shape, dst.Data)
	}
	if err := src.Gather(dst, []int{2, 0}); err != nil || !dst.Shape.Equal(Shape{2, 2}) || dst.Data[0] != 5 || dst.Data[3] != 2 {
		t.Errorf("Gather of rows 2, 0: %v, %v %v", err, dst.Shape, dst.Data)
	}
}

// TestGatherIntoItself: gathering a tensor's rows into itself, or into a
// tensor sharing its storage, gives numpy's x[idx], a copy; the rows were
// overwritten before they were read ([4 5 2 3 4 5] for rows 2, 1, 0).
func TestGatherIntoItself(t *testing.T) {
	x, _ := FromSlice([]float32{0, 1, 2, 3, 4, 5}, 3, 2)
	if err := x.Gather(x, []int{2, 1, 0}); err != nil {
		t.Fatal(err)
	}
	if want := []float32{4, 5, 2, 3, 0, 1}; !x.Shape.Equal(Shape{3, 2}) || !slices.Equal(x.Data, want) {
		t.Errorf("x.Gather(x, [2 1 0]) = %v %v, want (3, 2) %v", x.Shape, x.Data, want)
	}
	y, _ := FromSlice([]float32{0, 1, 2, 3, 4, 5}, 3, 2)
	view := &Tensor{Data: y.Data[2:2]} // capacity over rows 1 and 2 of y
	if err := y.Gather(view, []int{0, 1}); err != nil {
		t.Fatal(err)
	}
	if want := []float32{0, 1, 2, 3}; !slices.Equal(view.Data, want) || !slices.Equal(y.Data, []float32{0, 1, 2, 3, 4, 5}) {
		t.Errorf("gather into a view of y: %v, y now %v; want %v and y unchanged", view.Data, y.Data, want)
	}
	// a dst of its own keeps its storage
	z := New(2, 2)
	before := &z.Data[0]
	if err := y.Gather(z, []int{2, 0}); err != nil || &z.Data[0] != before || !slices.Equal(z.Data, []float32{4, 5, 0, 1}) {
		t.Errorf("gather into z: %v, %v, same storage %v", err, z.Data, &z.Data[0] == before)
	}
}
