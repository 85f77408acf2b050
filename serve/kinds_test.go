package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets/imagefolder"
	"github.com/tailor-ml/tailor/datasets/tabular"
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

// TestBinaryModelKeepsClassNames serves a gray-image model with one
// sigmoid output and two class names: the metadata keeps both names, and
// classify reads the output p as 1 − p and p, as tailor predict does.
func TestBinaryModelKeepsClassNames(t *testing.T) {
	m := kindModel(t, []int{8, 8}, 1, activations.Sigmoid)
	_, ts := newServer(t, []Model{{Name: "bin", Model: m, Meta: saving.Meta{ClassNames: []string{"no", "yes"}}}}, Options{})
	code, b := do(t, "GET", ts.URL+"/v2/models/bin", "", nil)
	var md modelMetadata
	if err := json.Unmarshal(b, &md); err != nil || code != 200 {
		t.Fatalf("metadata: %d %s", code, b)
	}
	if got := md.Parameters.ClassNames; !slices.Equal(got, []string{"no", "yes"}) || fmt.Sprint(md.Outputs[0].Shape) != "[-1 1]" {
		t.Errorf("class names %q, output shape %v; want [no yes] and [-1 1]", got, md.Outputs[0].Shape)
	}
	px := make([]uint8, 64)
	for i := range px {
		px[i] = uint8(4 * i)
	}
	code, b = do(t, "POST", ts.URL+"/v1/models/bin:classify?top=2", "image/png", pngOf(px, 8, 8))
	var res classifyResponse
	if err := json.Unmarshal(b, &res); err != nil || code != 200 {
		t.Fatalf("classify: %d %s", code, b)
	}
	if len(res.Probabilities) != 2 || res.Probabilities[0] != 1-res.Probabilities[1] || len(res.Top) != 2 || !slices.Equal(res.ClassNames, []string{"no", "yes"}) {
		t.Errorf("classify: probabilities %v, top %v, class names %q; want 1 − p and p for no and yes", res.Probabilities, res.Top, res.ClassNames)
	}
}

// tablePipeline is the preprocessing fitted to a four-row table of a
// number, a category and a yes/no target.
func tablePipeline(t *testing.T) *preprocessing.Pipeline {
	t.Helper()
	const rows = "age,colour,y\n30,red,yes\n40,blue,no\n50,red,no\n60,green,yes\n"
	tb, err := tabular.ReadCSV(strings.NewReader(rows), "t.csv", tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := preprocessing.FitPipeline(tb, preprocessing.PipelineOptions{Target: "y", Scale: preprocessing.ScaleNumeric})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTabularModel serves a model trained on a table: its metadata names
// its features and offers FP32 only, without the image parameters; UINT8
// and classify are 400s saying what the model takes; FP32 features get
// Predict's output.
func TestTabularModel(t *testing.T) {
	p := tablePipeline(t)
	features := p.FeatureNames()
	m := kindModel(t, []int{len(features)}, 1, activations.Sigmoid)
	_, ts := newServer(t, []Model{{Name: "table", Model: m, Meta: saving.Table(p)}}, Options{})

	code, b := do(t, "GET", ts.URL+"/v2/models/table", "", nil)
	var md modelMetadata
	if err := json.Unmarshal(b, &md); err != nil || code != 200 {
		t.Fatalf("metadata: %d %s", code, b)
	}
	if pm := md.Parameters; !slices.Equal(pm.ClassNames, p.ClassNames()) || !slices.Equal(pm.FeatureNames, features) || !slices.Equal(pm.InputDatatypes, []string{"FP32"}) {
		t.Errorf("parameters %+v, want class names %q, features %q and FP32 only", pm, p.ClassNames(), features)
	}
	if bytes.Contains(b, []byte("uint8_rescale")) || bytes.Contains(b, []byte("polarity")) {
		t.Errorf("metadata of a tabular model has image parameters: %s", b)
	}

	x := make([]float32, len(features))
	for i := range x {
		x[i] = float32(i) - 1
	}
	request := func(datatype string, data any) []byte {
		b, err := json.Marshal(map[string]any{"inputs": []map[string]any{{"name": "input", "shape": []int{1, len(features)}, "datatype": datatype, "data": data}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want, err := m.Predict(context.Background(), &tensor.Tensor{Shape: tensor.Shape{1, len(features)}, Data: x}, tailor.PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	code, b = do(t, "POST", ts.URL+"/v2/models/table/infer", "application/json", request("FP32", x))
	var res inferResponse
	if err := json.Unmarshal(b, &res); err != nil || code != 200 || len(res.Outputs) != 1 || !slices.Equal(res.Outputs[0].Data, want.Data) {
		t.Errorf("FP32 features: %d %s, want Predict's %v", code, b, want.Data)
	}
	code, b = do(t, "POST", ts.URL+"/v2/models/table/infer", "application/json", request("UINT8", make([]int, len(features))))
	if code != 400 {
		t.Errorf("UINT8 features: status %d, want 400", code)
	}
	wantJSONError(t, "UINT8 features", b, `inputs[0].datatype "UINT8": want "FP32": the model was trained on a table`)
	code, b = do(t, "POST", ts.URL+"/v1/models/table:classify", "image/png", pngOf(make([]uint8, 64), 8, 8))
	if code != 400 {
		t.Errorf("classify: status %d, want 400", code)
	}
	wantJSONError(t, "classify", b, `model "table" was trained on a table: classify takes images`)
}
