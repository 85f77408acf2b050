package layers

import "github.com/tailor-ml/tailor/activations"

// Fuse lets adjacent layers of a sequence share work in their backward
// passes, with the bits of the layers apart. Where a Conv2D with a ReLU
// activation feeds a MaxPooling2D, the pooling applies ReLU's derivative
// as it routes the gradient back (kernels.MaxPool2DReluBackward: a window
// whose maximum is not positive holds only ReLU's zeros), and the
// convolution takes what it is given as the gradient of its
// pre-activation, saving a pass over its whole output. A Sequential model
// calls Fuse once its layers are built; the fused layers' Backward then
// holds only in that order.
func Fuse(ls []Layer) {
	for i := 0; i+1 < len(ls); i++ {
		conv, ok := ls[i].(*Conv2DLayer)
		pool, ok2 := ls[i+1].(*MaxPooling2DLayer)
		if ok && ok2 && conv.activation == activations.ReLU {
			conv.reluDone, pool.reluBefore = true, true
		}
	}
}
