// Package onnx exports a Tailor model's inference graph as an ONNX model
// (https://onnx.ai), the format that ONNX Runtime (CPU, CUDA, TensorRT,
// WebGPU), NVIDIA Triton and KServe load.
//
// Export walks the model's layers in order and writes, for each, the ONNX
// operators that compute at inference exactly what Tailor's Predict
// computes, with the layer's weights as float32 initializers named as in
// the model file ("dense/kernel", "conv2d/bias", ...):
//
//	Dense                   Gemm (x·kernel + bias), then the activation
//	Activation              Relu, Sigmoid, Tanh, Softmax (along Tailor's last axis) or nothing (linear)
//	Flatten, Reshape        Flatten, Reshape
//	Conv2D                  Conv with the kernel transposed to (filters, channels, rows, columns), explicit
//	                        pads (Keras's same padding puts the odd row or column below or to the right)
//	MaxPooling2D            MaxPool (padding never wins a maximum, as in Tailor)
//	AveragePooling2D        AveragePool with count_include_pad=0 (only positions inside the image count, as in Tailor)
//	GlobalAveragePooling2D  GlobalAveragePool, then Flatten
//	BatchNormalization      BatchNormalization at inference: the moving mean and variance, epsilon
//	Dropout, RandomFlip, RandomTranslation, RandomErasing
//	                        nothing: they pass their input through at inference
//
// Any other layer type — a user's own layer, say — is an error that names
// the layer.
//
// BatchNormalization is written as ONNX's own operator rather than folded
// into the convolution before it: in Tailor's models a ReLU sits between
// the two, so no folding would be exact, and ONNX Runtime and TensorRT fold
// it themselves where they can. A Conv2D that Tailor computes in
// mixed_bfloat16 (operands rounded to bfloat16) is exported with its
// float32 weights and computes in float32: its outputs differ from
// Tailor's by the rounding Tailor does.
//
// # Layout
//
// Tailor's images are channels-last (N, H, W, C); ONNX's Conv and pooling
// operators are channels-first (N, C, H, W). The exporter keeps each
// tensor in whichever layout the operators around it need and inserts a
// Transpose (or an Unsqueeze or Squeeze for one-channel images of shape
// (H, W)) where that changes, so that a run of convolutions and poolings
// stays channels-first. A Flatten of a channels-first tensor is Flatten
// directly, and the rows of the Dense kernel that reads it are reordered
// from Tailor's (h, w, c) order to (c, h, w), so that the product is the
// one Tailor computes; if no Dense reads it (a softmax over the flattened
// vector, say) the tensor is transposed back to channels-last first.
// Softmax over images normalises the channels, Tailor's last axis, in
// whichever layout the tensor has. The model's input and output are always
// in Tailor's layout.
//
// # The file
//
// The graph has one input, named "input" (InputName), float32, shaped like
// the model's input with a dynamic batch: ["N", 28, 28] for the
// Fashion-MNIST models; and one output, "probabilities" (OutputName),
// ["N", 10] for them, which holds what Predict returns: the logits, under
// that name, for a model whose last layer is linear (trained with a
// FromLogits loss). The default operator set is 17 (Options.Opset; 13 to
// 21 are accepted, each with the lowest IR version that carries it), the
// producer is "tailor" with the module's version, and
// Options.Metadata becomes the model's metadata_props (saving.ExportONNX
// puts the class names and the preprocessing there). The same model and
// options give the same bytes.
package onnx
