package preprocessing

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"
)

// FuzzLoadImage feeds arbitrary bytes to LoadImage, seeded with small PNGs
// and JPEGs of every kind the decoders produce. Nothing may panic; what
// loads must be a 28×28 tensor of values in [0, 1] equal, bit for bit, to
// what the whole-image reference computes from the same decoded image.
func FuzzLoadImage(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kind := range []string{"gray", "gray16", "nrgba", "nrgba64", "paletted"} {
		var b bytes.Buffer
		if err := png.Encode(&b, randomImage(kind, 5+rng.IntN(20), 5+rng.IntN(20), rng)); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	for _, kind := range []string{"gray", "ycbcr420", "cmyk"} {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, randomImage(kind, 9+rng.IntN(20), 9+rng.IntN(20), rng), &jpeg.Options{Quality: 50}); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := LoadImage(bytes.NewReader(b), ImageOptions{})
		if err != nil {
			return
		}
		if len(got.Data) != 28*28 {
			t.Fatalf("shape %v", got.Shape)
		}
		for _, v := range got.Data {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("pixel %v outside [0, 1]", v)
			}
		}
		img, _, err := image.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("LoadImage accepted what image.Decode refuses: %v", err)
		}
		if img.Bounds().Dx()*img.Bounds().Dy() > 1<<16 {
			return // the reference is slow on large images
		}
		want, err := refFromImage(img, ImageOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Data {
			if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
				t.Fatalf("pixel %d: %v, the reference gives %v", i, got.Data[i], want.Data[i])
			}
		}
	})
}
