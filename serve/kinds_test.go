package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets/imagefolder"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// kindModel returns a built model of the input shape whose last layer is
// Dense(outputs, act): enough for the tests of the kinds of models.
func kindModel(t testing.TB, in []int, outputs int, act activations.Activation) *tailor.Model {
	t.Helper()
	m := tailor.Sequential(layers.Flatten(), layers.Dense(outputs, act))
	if err := m.SetSeed(3); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(in...); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestClassifyFolderModelPreparesAsPredict uploads a wide image, light
// with a dark bar, to grayscale and RGB models trained on an image folder:
// the model must receive what imagefolder.ReadImage (what tailor predict
// calls for such models) makes of the file — converted, resized without
// padding, never inverted — and give Predict's probabilities.
func TestClassifyFolderModelPreparesAsPredict(t *testing.T) {
	const w, h = 16, 8
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := img.PixOffset(x, y)
			copy(img.Pix[i:i+4], []uint8{230, 220, 200, 255})
			if x < 5 {
				copy(img.Pix[i:i+4], []uint8{20, 90, 160, 255})
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "wide.png")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode   string
		interp preprocessing.Interpolation
		c      int
	}{
		{saving.ColorGrayscale, preprocessing.Bilinear, 1},
		{saving.ColorRGB, preprocessing.Area, 3},
	} {
		m := kindModel(t, []int{8, 8, tc.c}, 3, activations.Softmax)
		meta := saving.ImageFolder([]string{"a", "b", "c"}, tc.mode, tc.interp, 1.0/255)
		_, ts := newServer(t, []Model{{Name: "folder", Model: m, Meta: meta}}, Options{})
		x, err := imagefolder.ReadImage(file, 8, 8, tc.c, tc.interp, 1.0/255)
		if err != nil {
			t.Fatal(err)
		}
		want, err := m.Predict(context.Background(), &tensor.Tensor{Shape: tensor.Shape{1, 8, 8, tc.c}, Data: x}, tailor.PredictOptions{})
		if err != nil {
			t.Fatal(err)
		}
		code, body := do(t, "POST", ts.URL+"/v1/models/folder:classify", "image/png", buf.Bytes())
		if code != 200 {
			t.Fatalf("%s: status %d: %s", tc.mode, code, body)
		}
		var res classifyResponse
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Probabilities, want.Data) {
			t.Errorf("%s: probabilities %v, Predict's of ReadImage's input %v", tc.mode, res.Probabilities, want.Data)
		}
		if res.Input.Height != 8 || res.Input.Width != 8 || res.Input.Channels != tc.c || len(res.Input.Pixels) != len(x) {
			t.Fatalf("%s: input %d×%d×%d of %d values, want 8×8×%d", tc.mode, res.Input.Height, res.Input.Width, res.Input.Channels, len(res.Input.Pixels), tc.c)
		}
		for i, v := range x {
			if p := int(math.Round(float64(v) * 255)); res.Input.Pixels[i] != p {
				t.Fatalf("%s: input value %d is %d, ReadImage's %d", tc.mode, i, res.Input.Pixels[i], p)
			}
		}
		code, body = do(t, "POST", ts.URL+"/v1/models/folder:classify?invert=never", "image/png", buf.Bytes())
		if code != 400 {
			t.Errorf("%s: invert=never: status %d, want 400", tc.mode, code)
		}
		wantJSONError(t, tc.mode+" invert", body, "trained on an image folder")
	}
}
