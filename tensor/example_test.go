package tensor_test

import (
	"fmt"

	"github.com/tailor-ml/tailor/tensor"
)

func ExampleShape_String() {
	fmt.Println(tensor.Shape{60000, 28, 28})
	fmt.Println(tensor.Shape{10})
	fmt.Println(tensor.Shape{})
	// Output:
	// (60000, 28, 28)
	// (10,)
	// ()
}

func ExampleFromUint8() {
	pixels := []uint8{0, 51, 255, 128}
	x, _ := tensor.FromUint8(pixels, 1.0/255, 2, 2)
	fmt.Println(x.Shape, x.Data)
	fmt.Println(x.Min(), x.Max(), x.Argmax())
	// Output:
	// (2, 2) [0 0.2 1 0.5019608]
	// 0 1 [1 0]
}
