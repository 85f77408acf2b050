// Package tensor is the small dense array type that the rest of Tailor
// passes around: a shape and a contiguous row-major []float32.
//
// It holds just what the tutorial needs — scaling uint8 images to float32,
// Max, Min, Mean and Argmax along the last axis, numpy-style shape printing —
// and leaves the heavy arithmetic to the kernels behind the layers.
package tensor

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tailor-ml/tailor/internal/kernels"
)

// Shape is the size of each axis, outermost first, like numpy's shape.
type Shape []int

// Size is the number of elements a tensor of this shape holds. For a shape
// with a negative dimension, or whose product does not fit in an int, it is
// meaningless (the product as int arithmetic wraps it); New, FromSlice,
// FromUint8, Resize and Validate refuse such shapes.
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Validate returns an error when s is no shape a tensor can have: one with
// a negative dimension or more elements than an int counts (a product that
// would wrap around to a small Size). A layer's Build refuses such an input
// shape with it. The error holds a copy of s, so that s does not escape.
func (s Shape) Validate() error {
	zero := false
	for _, d := range s {
		if d < 0 {
			return fmt.Errorf("tensor: shape %v has a negative dimension", append(Shape(nil), s...))
		}
		zero = zero || d == 0
	}
	if zero {
		return nil
	}
	n := 1
	for _, d := range s {
		if n > math.MaxInt/d {
			return fmt.Errorf("tensor: shape %v has more elements than an int can count", append(Shape(nil), s...))
		}
		n *= d
	}
	return nil
}

// String prints the shape as numpy does: (60000, 28, 28), (10,) and ().
func (s Shape) String() string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(s) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// Equal reports whether two shapes have the same axes.
func (s Shape) Equal(t Shape) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// Tensor is a dense float32 array. Data holds Shape.Size() elements in
// row-major order (Validate checks it of a tensor built by hand).
type Tensor struct {
	Shape Shape
	Data  []float32
}

// New returns a zero tensor of the given shape.
func New(shape ...int) *Tensor {
	s := Shape(append([]int(nil), shape...))
	if err := s.Validate(); err != nil {
		panic(err.Error())
	}
	return &Tensor{Shape: s, Data: make([]float32, s.Size())}
}

// FromSlice wraps data (not copied) in a tensor of the given shape. It
// returns an error when the sizes disagree, or the shape has a negative
// dimension or more elements than an int counts.
func FromSlice(data []float32, shape ...int) (*Tensor, error) {
	s := Shape(append([]int(nil), shape...))
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Size() != len(data) {
		return nil, fmt.Errorf("tensor: %d values do not fill shape %v", len(data), s)
	}
	return &Tensor{Shape: s, Data: data}, nil
}

// FromUint8 converts bytes (for example image pixels) to float32,
// multiplying each by scale: FromUint8(px, 1.0/255, n, 28, 28) is the
// tutorial's train_images / 255.0, bit for bit.
//
// numpy divides by 255.0 in float64 and rounds once to float32, whereas
// multiplying by float32(1.0/255) rounds twice and misses by one ulp for
// about half the byte values. So when scale is the float32 reciprocal of
// an integer k, each byte is divided by k in float64 instead. Like
// FromSlice, it returns an error when the sizes disagree or the shape is
// not one a tensor can have.
func FromUint8(data []uint8, scale float32, shape ...int) (*Tensor, error) {
	s := Shape(append([]int(nil), shape...))
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Size() != len(data) {
		return nil, fmt.Errorf("tensor: %d values do not fill shape %v", len(data), s)
	}
	var table [256]float32
	k := math.Round(1 / float64(scale))
	divide := k >= 1 && float32(1/k) == scale
	for v := range table {
		if divide {
			table[v] = float32(float64(v) / k)
		} else {
			table[v] = float32(float64(v) * float64(scale)) // exact, then rounded once
		}
	}
	t := &Tensor{Shape: s, Data: make([]float32, len(data))}
	for i, v := range data {
		t.Data[i] = table[v]
	}
	return t, nil
}

// Validate reports whether t keeps its invariant: no negative dimension,
// no more elements than an int counts, and Data holding exactly
// Shape.Size() values. A tensor built by New,
// FromSlice or Resize always does; one assembled by hand may not, and
// Validate is how the entry points that take tensors refuse it with an
// error instead of indexing past its Data.
func (t *Tensor) Validate() error {
	if t == nil {
		return fmt.Errorf("tensor: nil tensor")
	}
	if err := t.Shape.Validate(); err != nil {
		return err
	}
	if n := t.Shape.Size(); n != len(t.Data) {
		return fmt.Errorf("tensor: shape %v holds %d values, Data has %d", t.Shape, n, len(t.Data))
	}
	return nil
}

// Len is the size of the first axis (the batch), or 0 for a scalar or a
// nil tensor.
func (t *Tensor) Len() int {
	if t == nil || len(t.Shape) == 0 {
		return 0
	}
	return t.Shape[0]
}

// Row returns the i-th element along the first axis as a slice of Data.
func (t *Tensor) Row(i int) []float32 {
	n := t.Shape[1:].Size()
	return t.Data[i*n : (i+1)*n]
}

// Slice returns rows [lo, hi) of the first axis as a tensor sharing Data.
func (t *Tensor) Slice(lo, hi int) *Tensor {
	n := t.Shape[1:].Size()
	s := append(Shape{hi - lo}, t.Shape[1:]...)
	return &Tensor{Shape: s, Data: t.Data[lo*n : hi*n]}
}

// ExampleShape is the shape of one row: Shape without its first axis. With
// Len and Gather it makes a tensor a datasets.Features, one example per row.
func (t *Tensor) ExampleShape() Shape {
	if t == nil || len(t.Shape) == 0 {
		return nil
	}
	return t.Shape[1:]
}

// Gather resizes dst to (len(idx), ExampleShape()...), reusing its storage,
// and copies row idx[i] of t into row i of dst. dst may be t itself, or
// share its storage: it then gets new storage, as numpy's x[idx] is a
// copy, rather than rows overwritten before they are read. It is an error
// for an index to be out of range, for t to have no batch axis or for t
// to fail Validate; dst is then left as it was.
func (t *Tensor) Gather(dst *Tensor, idx []int) error {
	if len(t.Shape) == 0 {
		return fmt.Errorf("tensor: Gather from a scalar")
	}
	if err := t.Validate(); err != nil {
		return err
	}
	n, row := t.Shape[0], t.Shape[1:].Size()
	for _, j := range idx {
		if j < 0 || j >= n {
			return fmt.Errorf("tensor: Gather: row %d out of range [0, %d)", j, n)
		}
	}
	src := t.Data // t may be dst
	dst.Shape = append(append(dst.Shape[:0], len(idx)), t.Shape[1:]...)
	if cap(dst.Data) < len(idx)*row || kernels.Overlap(dst.Data[:cap(dst.Data)], src) {
		dst.Data = make([]float32, len(idx)*row)
	}
	dst.Data = dst.Data[:len(idx)*row]
	if len(idx) > 0 && row > 0 {
		kernels.GatherRows(dst.Data, src, row, idx) // prefetched, shared by the cores when large
	}
	return nil
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append(Shape(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// Max returns the largest element (0 for an empty tensor, NaN if one is
// NaN, as numpy's max).
func (t *Tensor) Max() float32 { return Max(t.Data) }

// Min returns the smallest element (0 for an empty tensor, NaN if one is
// NaN, as numpy's min).
func (t *Tensor) Min() float32 { return Min(t.Data) }

// Mean returns the arithmetic mean in float64, summed exactly enough that
// the tutorial's train mean prints as numpy does (72.94035223214286).
func (t *Tensor) Mean() float64 { return Mean(t.Data) }

// Argmax returns, for each row along the last axis, the index of its
// largest element (the first one on ties, or its first NaN), like numpy's
// argmax(axis=-1).
func (t *Tensor) Argmax() []int {
	if len(t.Shape) == 0 {
		return []int{0}
	}
	n := t.Shape[len(t.Shape)-1]
	if n == 0 {
		return nil
	}
	out := make([]int, len(t.Data)/n)
	for i := range out {
		out[i] = Argmax(t.Data[i*n : (i+1)*n])
	}
	return out
}

// Number is the element types the reductions accept.
type Number interface {
	~uint8 | ~int | ~int32 | ~int64 | ~float32 | ~float64
}

// Max returns the largest element of xs (zero for none), or its first NaN
// if it has one, as numpy's max propagates NaN.
func Max[T Number](xs []T) T {
	if len(xs) == 0 {
		var z T
		return z
	}
	m := xs[0]
	for _, v := range xs {
		if v != v {
			return v
		}
		if v > m {
			m = v
		}
	}
	return m
}

// Min returns the smallest element of xs (zero for none), or its first
// NaN if it has one, as numpy's min propagates NaN.
func Min[T Number](xs []T) T {
	if len(xs) == 0 {
		var z T
		return z
	}
	m := xs[0]
	for _, v := range xs {
		if v != v {
			return v
		}
		if v < m {
			m = v
		}
	}
	return m
}

// Mean returns the arithmetic mean of xs as float64 (0 for empty input).
// It sums pairwise, as numpy does, so float32 data loses no precision that
// numpy keeps.
func Mean[T Number](xs []T) float64 {
	if len(xs) == 0 {
		return 0
	}
	return pairwiseSum(xs) / float64(len(xs))
}

func pairwiseSum[T Number](xs []T) float64 {
	if len(xs) <= 128 {
		var s float64
		for _, v := range xs {
			s += float64(v)
		}
		return s
	}
	h := len(xs) / 2
	return pairwiseSum(xs[:h]) + pairwiseSum(xs[h:])
}

// Argmax returns the index of the largest element of xs (the first on
// ties), or of its first NaN if it has one, as numpy's argmax does.
func Argmax[T Number](xs []T) int {
	best := 0
	for i, v := range xs {
		if v != v {
			return i
		}
		if v > xs[best] {
			best = i
		}
	}
	return best
}

// TopK returns the indices of the k largest elements of xs, largest first
// and the lower index first among equals (tf.math.top_k's order); all of
// them when xs has fewer than k, none when k < 1.
func TopK[T Number](xs []T, k int) []int {
	k = max(0, min(k, len(xs)))
	top := make([]int, 0, k)
	used := make([]bool, len(xs))
	for range k {
		best := -1
		for j, v := range xs {
			if !used[j] && (best < 0 || v > xs[best]) {
				best = j
			}
		}
		used[best] = true
		top = append(top, best)
	}
	return top
}

// Resize gives t the shape, reusing the storage of Data when it is large
// enough, so that a layer's buffers are allocated once, on the first (or
// largest) batch, and never again. The contents are unspecified afterwards.
// It panics, as New does, on a negative dimension or a shape with more
// elements than an int counts.
func (t *Tensor) Resize(shape ...int) {
	if err := Shape(shape).Validate(); err != nil {
		panic(err.Error())
	}
	n := Shape(shape).Size()
	t.Shape = append(t.Shape[:0], shape...)
	if cap(t.Data) < n {
		t.Data = make([]float32, n)
	}
	t.Data = t.Data[:n]
}
