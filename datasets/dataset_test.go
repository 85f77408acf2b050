package datasets_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/tensor"
)

func images(t *testing.T, n int) *tensor.Tensor {
	t.Helper()
	x := tensor.New(n, 2, 2)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	return x
}

func TestWithLabelsGathers(t *testing.T) {
	ds, err := datasets.WithLabels(images(t, 4), []uint8{3, 1, 4, 1})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 4 || !ds.ExampleShape().Equal(tensor.Shape{2, 2}) || len(ds.TargetShape()) != 0 {
		t.Fatalf("len %d, shapes %v %v", ds.Len(), ds.ExampleShape(), ds.TargetShape())
	}
	var x, y tensor.Tensor
	if err := ds.Gather(&x, []int{2, 0}); err != nil {
		t.Fatal(err)
	}
	if err := ds.GatherTargets(&y, []int{2, 0}); err != nil {
		t.Fatal(err)
	}
	want := []float32{8, 9, 10, 11, 0, 1, 2, 3}
	if !x.Shape.Equal(tensor.Shape{2, 2, 2}) || !equal(x.Data, want) {
		t.Errorf("features %v %v, want %v", x.Shape, x.Data, want)
	}
	if !y.Shape.Equal(tensor.Shape{2}) || !equal(y.Data, []float32{4, 3}) {
		t.Errorf("targets %v %v, want [4 3]", y.Shape, y.Data)
	}
	// The buffers are reused: a smaller batch keeps the storage.
	before := &x.Data[0]
	if err := ds.Gather(&x, []int{1}); err != nil || &x.Data[0] != before || len(x.Data) != 4 {
		t.Errorf("gather into a larger buffer reallocated or failed: %v", err)
	}
}

func TestErrors(t *testing.T) {
	x := images(t, 3)
	short := &tensor.Tensor{Shape: tensor.Shape{3, 2, 2}, Data: make([]float32, 5)}
	for _, c := range []struct {
		name string
		err  func() error
		want string
	}{
		{"label count", func() error { _, err := datasets.WithLabels(x, []int{1, 2}); return err }, "3 examples but 2 labels"},
		{"negative label", func() error { _, err := datasets.WithLabels(x, []int{1, -2, 0}); return err }, "label 1 is -2"},
		{"target rows", func() error { _, err := datasets.FromTensors(x, tensor.New(2)); return err }, "3 examples but targets of shape (2,)"},
		{"slice", func() error {
			ds, _ := datasets.FromTensors(x, tensor.New(3))
			_, err := datasets.Slice(ds, 2, 4)
			return err
		}, "slice [2, 4) of 3"},
		{"gather range", func() error { var d tensor.Tensor; return x.Gather(&d, []int{3}) }, "row 3 out of range [0, 3)"},
		{"short features", func() error { _, err := datasets.FromTensors(short, tensor.New(3)); return err }, "datasets: features: tensor: shape (3, 2, 2) holds 12 values, Data has 5"},
		{"short targets", func() error { _, err := datasets.WithTargets(x, &tensor.Tensor{Shape: tensor.Shape{3}}); return err }, "datasets: targets: tensor: shape (3,) holds 3 values, Data has 0"},
		{"short labeled features", func() error { _, err := datasets.WithLabels(short, []int{0, 1, 2}); return err }, "datasets: features: tensor: shape (3, 2, 2) holds 12 values"},
	} {
		err := c.err()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestSubsetAndMaterialize(t *testing.T) {
	ds, err := datasets.FromTensors(images(t, 5), &tensor.Tensor{Shape: tensor.Shape{5, 1}, Data: []float32{10, 11, 12, 13, 14}})
	if err != nil {
		t.Fatal(err)
	}
	tail, err := datasets.Slice(ds, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	picked, err := datasets.Take(tail, []int{1, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	x, y, err := datasets.Materialize(picked)
	if err != nil {
		t.Fatal(err)
	}
	if !y.Shape.Equal(tensor.Shape{3, 1}) || !equal(y.Data, []float32{14, 13, 14}) {
		t.Errorf("targets %v %v", y.Shape, y.Data)
	}
	if !x.Shape.Equal(tensor.Shape{3, 2, 2}) || x.Data[0] != 16 || x.Data[4] != 12 {
		t.Errorf("features %v %v", x.Shape, x.Data)
	}
	if _, err := datasets.Take(ds, []int{5}); err == nil {
		t.Error("Take accepted an index past the end")
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestBytes: gathering from bytes gives tensor.FromUint8's values, bit for
// bit, for the tutorial's scale and another.
func TestBytes(t *testing.T) {
	data := make([]uint8, 7*5)
	for i := range data {
		data[i] = uint8(i * 37)
	}
	for _, scale := range []float32{1.0 / 255, 0.3} {
		b, err := datasets.FromBytes(data, scale, 7, 5)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := tensor.FromUint8(data, scale, 7, 5)
		var got, w tensor.Tensor
		idx := []int{6, 0, 3, 3}
		if err := b.Gather(&got, idx); err != nil {
			t.Fatal(err)
		}
		if err := want.Gather(&w, idx); err != nil {
			t.Fatal(err)
		}
		if !got.Shape.Equal(tensor.Shape{4, 5}) || !equal(got.Data, w.Data) {
			t.Errorf("scale %v: gathered %v %v, want %v", scale, got.Shape, got.Data, w.Data)
		}
	}
	if _, err := datasets.FromBytes(data, 1, 6, 5); err == nil {
		t.Error("FromBytes accepted a shape that does not fit")
	}
	b, _ := datasets.FromBytes(data, 1, 7, 5)
	var d tensor.Tensor
	if err := b.Gather(&d, []int{7}); err == nil {
		t.Error("Gather past the end succeeded")
	}
}

// TestSubsetConcurrentReaders: goroutines reading one Subset at once each
// get their own examples (run with -race), and a warm read allocates
// nothing.
func TestSubsetConcurrentReaders(t *testing.T) {
	const n = 64
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(i)
	}
	ds, err := datasets.WithLabels(images(t, n), labels)
	if err != nil {
		t.Fatal(err)
	}
	view, err := datasets.Slice(ds, 8, n)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var x, y tensor.Tensor
			for round := range 200 {
				i := (g*7 + round) % view.Len()
				idx := []int{i, (i + 1) % view.Len()}
				if err := view.Gather(&x, idx); err != nil {
					errs <- err
					return
				}
				if err := view.GatherTargets(&y, idx); err != nil {
					errs <- err
					return
				}
				if want := float32(8 + i); y.Data[0] != want || x.Data[0] != 4*want {
					errs <- fmt.Errorf("goroutine %d: example %d read as label %v, pixel %v", g, i, y.Data[0], x.Data[0])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var x tensor.Tensor
	idx := []int{3, 1, 4}
	if allocs := testing.AllocsPerRun(100, func() { _ = view.Gather(&x, idx) }); allocs != 0 {
		t.Errorf("a warm Gather allocates %v times", allocs)
	}
}

// TestFromBytesRefusesBadShapes: a shape with a negative axis, or one
// whose product wraps around an int to the data's size, is an error, as
// in tensor.FromUint8, not a dataset of −1 examples or one whose Gather
// indexes past its bytes.
func TestFromBytesRefusesBadShapes(t *testing.T) {
	for _, c := range []struct {
		n     int
		shape []int
	}{
		{4, []int{-1, -4}},
		{0, []int{-1, 0}},
		{0, []int{1 << 62, 4}},
		{0, []int{1 << 32, 1 << 32, 7}},
		{35, []int{35, 2}},
		{35, []int{5, 8}},
	} {
		b, err := datasets.FromBytes(make([]uint8, c.n), 1, c.shape...)
		if err == nil {
			var d tensor.Tensor
			gerr := b.Gather(&d, []int{1})
			t.Errorf("FromBytes(%d bytes, %v) = %d examples of %v (Gather: %v), want an error", c.n, c.shape, b.Len(), b.ExampleShape(), gerr)
		} else if !strings.HasPrefix(err.Error(), "datasets: shape") {
			t.Errorf("FromBytes(%d bytes, %v): %v", c.n, c.shape, err)
		}
	}
	if b, err := datasets.FromBytes(nil, 1, 0, 28, 28); err != nil || b.Len() != 0 {
		t.Errorf("no examples: %v", err)
	}
}
