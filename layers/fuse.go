package layers

import "github.com/tailor-ml/tailor/activations"

// Fuse lets adjacent layers of a sequence share work in their backward
// passes, with the bits of the layers apart. Where a Conv2D with a ReLU
// activation feeds a MaxPooling2D or a BatchNormalization, that layer
// applies ReLU's derivative as it computes its input gradient — the
// pooling as it routes the gradient back (kernels.MaxPool2DReluBackward: a
// window whose maximum is not positive holds only ReLU's zeros), batch
// normalisation as it writes it (kernels.BatchNormBackward) — and the
// convolution takes what it is given as the gradient of its
// pre-activation, saving a pass over its whole output. A Sequential model
// calls Fuse once its layers are built; the fused layers' Backward then
// holds only in that order.
func Fuse(ls []Layer) {
	for i := 0; i+1 < len(ls); i++ {
		conv, ok := ls[i].(*Conv2DLayer)
		if !ok || conv.activation != activations.ReLU {
			continue
		}
		switch next := ls[i+1].(type) {
		case *MaxPooling2DLayer:
			conv.reluDone, next.reluBefore = true, true
		case *BatchNormalizationLayer:
			conv.reluDone, next.reluBefore = true, true
		}
	}
}
