package idx_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/tailor-ml/tailor/datasets/idx"
)

func Example() {
	// Encode two 2x2 uint8 images, as in MNIST's image files.
	var buf bytes.Buffer
	images := &idx.File{DType: idx.Uint8, Dims: []int{2, 2, 2}, Data: []byte{0, 255, 255, 0, 1, 2, 3, 4}}
	if err := idx.Write(&buf, images); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("header % x\n", buf.Bytes()[:16])

	// Decode them again. Read accepts plain or gzip-compressed input.
	f, err := idx.Read(&buf, "images.idx")
	if err != nil {
		log.Fatal(err)
	}
	pixels, err := f.Uint8()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.DType, f.Dims, pixels)

	// Malformed input yields an error naming the file and the field.
	_, err = idx.Read(bytes.NewReader([]byte{0, 0, 8, 1, 0, 0, 0, 3, 7}), "labels.idx")
	fmt.Println(err)
	// Output:
	// header 00 00 08 03 00 00 00 02 00 00 00 02 00 00 00 02
	// uint8 [2 2 2] [0 255 255 0 1 2 3 4]
	// idx: labels.idx: payload: truncated: got 1 of 3 bytes
}
