package saving

import (
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/tensor"
)

// ds pairs the examples of x with the targets y, which the tests build
// to match.
func ds(x, y *tensor.Tensor) datasets.Dataset {
	d, err := datasets.FromTensors(x, y)
	if err != nil {
		panic(err)
	}
	return d
}
