package datasets

import (
	"fmt"

	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/tensor"
)

// Bytes is features kept as bytes — images' pixels, as loaders read them
// — and scaled to float32 as they are gathered: each byte v becomes
// v·scale, exactly the value tensor.FromUint8 gives (so Fit trains to the
// same bits), from a quarter of the memory of a float32 copy, and faster
// to gather.
type Bytes struct {
	data  []uint8
	scale float32
	shape tensor.Shape // one example's
	n     int
}

// FromBytes views data (not copied) as examples of the given shape, the
// first axis counting them: FromBytes(train.Images, 1.0/255, train.N, 28,
// 28) is the tutorial's train_images / 255.0, read as it is needed. It is
// an error for the sizes to disagree.
func FromBytes(data []uint8, scale float32, shape ...int) (*Bytes, error) {
	s := tensor.Shape(shape)
	// Validate refuses a negative axis and a product that wraps around an
	// int (1<<62 × 4 would be 0, the size of no data), as tensor.FromUint8
	// does.
	if err := s.Validate(); err != nil || len(s) == 0 || s.Size() != len(data) {
		return nil, fmt.Errorf("datasets: shape %v, want one that %d bytes fill", s, len(data))
	}
	return &Bytes{data: data, scale: scale, shape: append(tensor.Shape(nil), s[1:]...), n: s[0]}, nil
}

// Len is the number of examples.
func (b *Bytes) Len() int { return b.n }

// ExampleShape is the shape of one example.
func (b *Bytes) ExampleShape() tensor.Shape { return b.shape }

// Gather writes examples idx, scaled, into dst.
func (b *Bytes) Gather(dst *tensor.Tensor, idx []int) error {
	row := b.shape.Size()
	for _, j := range idx {
		if j < 0 || j >= b.n {
			return fmt.Errorf("datasets: index %d out of range [0, %d)", j, b.n)
		}
	}
	dst.Shape = append(append(dst.Shape[:0], len(idx)), b.shape...)
	if cap(dst.Data) < len(idx)*row {
		dst.Data = make([]float32, len(idx)*row)
	}
	dst.Data = dst.Data[:len(idx)*row]
	if len(idx) > 0 && row > 0 {
		kernels.GatherU8(dst.Data, b.data, row, idx, b.scale)
	}
	return nil
}
