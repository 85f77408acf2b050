package datasets

import (
	"fmt"
	"sync"

	"github.com/tailor-ml/tailor/tensor"
)

// Subset is a view of some examples of a dataset, in a given order.
type Subset struct {
	ds  Dataset
	idx []int

	mu   sync.Mutex // guards free: a Subset may be read from many goroutines
	free [][]int    // buffers of translated indices, one per concurrent reader, reused
}

// Take returns the view of ds holding examples idx (copied), in that
// order: Take(ds, []int{4, 2}) has ds's example 4 first. It is an error
// for an index to be out of range.
func Take(ds Dataset, idx []int) (*Subset, error) {
	n := ds.Len()
	for i, j := range idx {
		if j < 0 || j >= n {
			return nil, fmt.Errorf("datasets: index %d is %d, want [0, %d)", i, j, n)
		}
	}
	return &Subset{ds: ds, idx: append([]int(nil), idx...)}, nil
}

// Slice returns the view of examples [lo, hi) of ds, as Keras takes a
// validation split from the end of the data. It is an error unless
// 0 ≤ lo ≤ hi ≤ ds.Len().
func Slice(ds Dataset, lo, hi int) (*Subset, error) {
	if lo < 0 || lo > hi || hi > ds.Len() {
		return nil, fmt.Errorf("datasets: slice [%d, %d) of %d examples", lo, hi, ds.Len())
	}
	idx := make([]int, hi-lo)
	for i := range idx {
		idx[i] = lo + i
	}
	return &Subset{ds: ds, idx: idx}, nil
}

// Len is the number of examples in the view.
func (s *Subset) Len() int { return len(s.idx) }

// ExampleShape is the shape of one example's features.
func (s *Subset) ExampleShape() tensor.Shape { return s.ds.ExampleShape() }

// TargetShape is the shape of one example's target.
func (s *Subset) TargetShape() tensor.Shape { return s.ds.TargetShape() }

// Indices returns the underlying dataset's index of each example (not a
// copy).
func (s *Subset) Indices() []int { return s.idx }

// gather maps view indices to the underlying dataset's, in a buffer of
// its own, and reads them with read. Readers share no buffer, so
// concurrent calls run side by side; the buffers are reused, so a
// training step allocates nothing.
func (s *Subset) gather(idx []int, read func([]int) error) error {
	s.mu.Lock()
	var buf []int
	if n := len(s.free); n > 0 {
		buf, s.free = s.free[n-1], s.free[:n-1]
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.free = append(s.free, buf)
		s.mu.Unlock()
	}()
	if cap(buf) < len(idx) {
		buf = make([]int, len(idx))
	}
	buf = buf[:len(idx)]
	for i, j := range idx {
		if j < 0 || j >= len(s.idx) {
			return fmt.Errorf("datasets: index %d out of range [0, %d)", j, len(s.idx))
		}
		buf[i] = s.idx[j]
	}
	return read(buf)
}

// Gather copies the features of examples idx of the view into dst.
func (s *Subset) Gather(dst *tensor.Tensor, idx []int) error {
	return s.gather(idx, func(t []int) error { return s.ds.Gather(dst, t) })
}

// GatherTargets copies the targets of examples idx of the view into dst.
func (s *Subset) GatherTargets(dst *tensor.Tensor, idx []int) error {
	return s.gather(idx, func(t []int) error { return s.ds.GatherTargets(dst, t) })
}

// Materialize reads every example of ds into two tensors, features
// (N, ExampleShape()...) and targets (N, TargetShape()...).
func Materialize(ds Dataset) (x, y *tensor.Tensor, err error) {
	idx := make([]int, ds.Len())
	for i := range idx {
		idx[i] = i
	}
	x, y = &tensor.Tensor{}, &tensor.Tensor{}
	if err := ds.Gather(x, idx); err != nil {
		return nil, nil, err
	}
	if err := ds.GatherTargets(y, idx); err != nil {
		return nil, nil, err
	}
	return x, y, nil
}

// View points dst at the features of examples [lo, hi) of f without
// copying them and reports whether it could: it can when f holds them
// contiguously in memory — a *tensor.Tensor, or a dataset WithLabels or
// WithTargets made over one. dst's shape slice is reused, so a caller that
// keeps dst allocates nothing. The view shares f's storage: do not modify
// it.
func View(dst *tensor.Tensor, f Features, lo, hi int) bool {
	switch d := f.(type) {
	case *tensor.Tensor:
		if len(d.Shape) == 0 || lo < 0 || lo > hi || hi > d.Len() || len(d.Data) != d.Shape.Size() {
			return false // Gather reports what is wrong
		}
		row := d.Shape[1:].Size()
		dst.Shape = append(append(dst.Shape[:0], hi-lo), d.Shape[1:]...)
		dst.Data = d.Data[lo*row : hi*row]
		return true
	case *Labeled:
		return View(dst, d.x, lo, hi)
	case *Targeted:
		return View(dst, d.x, lo, hi)
	}
	return false
}
