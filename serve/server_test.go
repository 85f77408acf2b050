package serve

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"io"
	"log"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// TestInferMatchesPredict sends real test images as FP32 and as UINT8,
// with batching on and off, and checks that every probability is the one
// Model.Predict computes, bit for bit.
func TestInferMatchesPredict(t *testing.T) {
	f := trained(t)
	const first, n = 10, 5
	want, err := f.model.Predict(context.Background(), f.testX.Slice(first, first+n), tailor.PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pixels := make([]int, 0, n*784)
	for _, p := range f.test.Images[first*784 : (first+n)*784] {
		pixels = append(pixels, int(p))
	}
	for _, opts := range []Options{{MaxBatch: 1}, {MaxBatch: 32, MaxWait: time.Millisecond}} {
		_, ts := newServer(t, []Model{{Name: "mlp", Version: "v1", Model: f.model, Meta: f.meta}}, opts)
		for _, req := range []struct {
			datatype string
			data     any
		}{
			{"FP32", f.testX.Data[first*784 : (first+n)*784]},
			{"UINT8", pixels},
		} {
			name := fmt.Sprintf("%s, max batch %d", req.datatype, opts.MaxBatch)
			code, body := do(t, "POST", ts.URL+"/v2/models/mlp/infer", "application/json", inferBody(t, req.datatype, n, req.data))
			if code != 200 {
				t.Fatalf("%s: status %d: %s", name, code, body)
			}
			var res inferResponse
			if err := json.Unmarshal(body, &res); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if res.ModelName != "mlp" || res.ModelVersion != "v1" || res.ID != "test" || len(res.Outputs) != 1 {
				t.Fatalf("%s: response %s", name, truncate(body))
			}
			out := res.Outputs[0]
			if out.Name != "probabilities" || out.Datatype != "FP32" || fmt.Sprint(out.Shape) != "[5 10]" {
				t.Errorf("%s: output %q %s %v, want probabilities FP32 [5 10]", name, out.Name, out.Datatype, out.Shape)
			}
			if !slices.Equal(out.Data, want.Data) {
				t.Errorf("%s: probabilities differ from Predict's:\n got %v\nwant %v", name, out.Data[:10], want.Data[:10])
			}
		}
	}
}

// TestClassifyMatchesPredict uploads real test images rendered as PNG, as
// multipart and as a raw body: the model must receive the image's own
// pixels and give Predict's probabilities.
func TestClassifyMatchesPredict(t *testing.T) {
	f := trained(t)
	_, ts := newServer(t, []Model{{Name: "mlp", Model: f.model, Meta: f.meta}}, Options{})
	for _, i := range []int{0, 1, 2, 3} {
		img := pngOf(f.test.Image(i), 28, 28)
		want, err := f.model.Predict(context.Background(), f.testX.Slice(i, i+1), tailor.PredictOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, how := range []string{"multipart", "raw"} {
			var code int
			var body []byte
			if how == "raw" {
				code, body = do(t, "POST", ts.URL+"/v1/models/mlp:classify?top=10", "image/png", img)
			} else {
				ct, form := multipartImage(t, "image", "image/png", img)
				code, body = do(t, "POST", ts.URL+"/v1/models/mlp:classify?top=10", ct, form)
			}
			if code != 200 {
				t.Fatalf("image %d %s: status %d: %s", i, how, code, body)
			}
			var res classifyResponse
			if err := json.Unmarshal(body, &res); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Probabilities, want.Data) {
				t.Errorf("image %d %s: probabilities %v, Predict's %v", i, how, res.Probabilities, want.Data)
			}
			if len(res.Top) != 10 || res.Top[0].Class != tensor.Argmax(want.Data) || res.Top[0].Name != f.meta.ClassNames[res.Top[0].Class] {
				t.Errorf("image %d %s: top %v, want class %d first", i, how, res.Top, tensor.Argmax(want.Data))
			}
			for k := 1; k < len(res.Top); k++ {
				if res.Top[k].Probability > res.Top[k-1].Probability {
					t.Errorf("image %d: top classes out of order: %v", i, res.Top)
				}
			}
			for p, v := range res.Input.Pixels {
				if v != int(f.test.Image(i)[p]) {
					t.Fatalf("image %d %s: input pixel %d is %d, the image's is %d", i, how, p, v, f.test.Image(i)[p])
				}
			}
			if res.Input.Height != 28 || res.Input.Width != 28 || !strings.HasPrefix(res.Input.PNG, "data:image/png;base64,") {
				t.Errorf("image %d: input %d×%d %.40q", i, res.Input.Width, res.Input.Height, res.Input.PNG)
			}
		}
	}
}

// TestClassifyPreparesAsPredict checks a photograph-like upload — larger,
// not square, dark on light — against preprocessing.LoadImage, which
// tailor predict calls.
func TestClassifyPreparesAsPredict(t *testing.T) {
	m := untrained(t)
	_, ts := newServer(t, []Model{m}, Options{MaxBatch: 1})
	const w, h = 90, 60
	px := make([]uint8, w*h)
	for y := range h {
		for x := range w {
			px[y*w+x] = 230
			if x > 30 && x < 60 && y > 10 && y < 50 {
				px[y*w+x] = uint8(20 + x)
			}
		}
	}
	img := pngOf(px, w, h)
	x, err := preprocessing.LoadImage(bytes.NewReader(img), preprocessing.ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Model.Predict(context.Background(), &tensor.Tensor{Shape: tensor.Shape{1, 28, 28}, Data: x.Data}, tailor.PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	code, body := do(t, "POST", ts.URL+"/v1/models/mlp:classify", "image/png", img)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var res classifyResponse
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Probabilities, want.Data) {
		t.Errorf("probabilities %v, want %v", res.Probabilities, want.Data)
	}
	if len(res.Top) != 3 {
		t.Errorf("%d top classes by default, want 3", len(res.Top))
	}
	// The background was light, so the image was inverted: dark corners.
	if res.Input.Pixels[0] > 40 || res.Input.Pixels[14*28+14] < 100 {
		t.Errorf("input corner %d, centre %d: want the article light on dark", res.Input.Pixels[0], res.Input.Pixels[14*28+14])
	}
}

// ragged returns an example as rows of zeros, nested as [[row, ...]]:
// rows rows of width values, but row row of short values (none when row
// is -1).
func ragged(rows, width, row, short int) [][][]int {
	x := make([][]int, rows)
	for i := range x {
		x[i] = make([]int, width)
	}
	if row >= 0 {
		x[row] = x[row][:short]
	}
	return [][][]int{x}
}

func gifImage(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gif.Encode(&buf, image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black, color.White}), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func multipartImage(t testing.TB, field, contentType string, img []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("note", "a field before the file"); err != nil {
		t.Fatal(err)
	}
	hdr := textproto.MIMEHeader{}
	hdr.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="upload.png"`, field))
	if contentType != "" {
		hdr.Set("Content-Type", contentType)
	}
	pw, err := mw.CreatePart(hdr)
	if err != nil {
		t.Fatal(err)
	}
	pw.Write(img)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

// TestMalformedRequests sends every kind of bad request and checks that
// each gets the right 4xx and a JSON error saying what was expected.
func TestMalformedRequests(t *testing.T) {
	_, ts := newServer(t, []Model{untrained(t)}, Options{MaxBodyBytes: 64 << 10, MaxBatch: 1})
	zeros := func(n int) []int { return make([]int, n) }
	one := func(input map[string]any) []byte {
		b, _ := json.Marshal(map[string]any{"inputs": []any{input}})
		return b
	}
	in := func(name, datatype string, shape []int, data any) map[string]any {
		return map[string]any{"name": name, "datatype": datatype, "shape": shape, "data": data}
	}
	fp32 := func(data any) []byte { return one(in("input", "FP32", []int{1, 28, 28}, data)) }
	fp32Outputs := func(outputs string) []byte {
		return []byte(`{"inputs":[{"name":"input","datatype":"FP32","shape":[1,28,28],"data":[` + strings.Repeat("0,", 783) + `0]}],"outputs":` + outputs + `}`)
	}
	img := pngOf(make([]uint8, 28*28), 28, 28)
	bomb := pngOf(make([]uint8, 5000*5000), 5000, 5000)
	noFileCT, noFile := func() (string, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("image-url", "http://example.com/x.png")
		mw.Close()
		return mw.FormDataContentType(), buf.Bytes()
	}()
	textCT, textPart := multipartImage(t, "image", "text/plain", []byte("hello"))
	const json = "application/json"
	infer := "/v2/models/mlp/infer"
	classify := "/v1/models/mlp:classify"
	tests := []struct {
		name, method, path, contentType string
		body                            []byte
		status                          int
		says                            string
	}{
		{"unknown path", "GET", "/v3/nothing", "", nil, 404, "no endpoint /v3/nothing"},
		{"unknown model", "GET", "/v2/models/nope", "", nil, 404, `no model "nope"`},
		{"unknown model infer", "POST", "/v2/models/nope/infer", json, fp32(zeros(784)), 404, `no model "nope"`},
		{"unknown version", "GET", "/v2/models/mlp/versions/9/ready", "", nil, 404, `no version "9"`},
		{"wrong method", "GET", infer, "", nil, 405, "allowed: POST"},
		{"wrong content type", "POST", infer, "text/plain", fp32(zeros(784)), 415, "want application/json"},
		{"empty body", "POST", infer, json, nil, 400, "request body is empty"},
		{"bad JSON", "POST", infer, json, []byte(`{"inputs": [`), 400, "not valid JSON"},
		{"not an object", "POST", infer, json, []byte(`[1, 2, 3]`), 400, "want an object"},
		{"no inputs", "POST", infer, json, []byte(`{"inputs": []}`), 400, "inputs: 0 tensors"},
		{"two inputs", "POST", infer, json, []byte(`{"inputs": [{}, {}]}`), 400, "inputs: 2 tensors"},
		{"wrong input name", "POST", infer, json, one(in("x", "FP32", []int{1, 28, 28}, zeros(784))), 400, `inputs[0].name "x": want "input"`},
		{"wrong datatype", "POST", infer, json, one(in("input", "INT64", []int{1, 28, 28}, zeros(784))), 400, `datatype "INT64"`},
		{"flat shape", "POST", infer, json, one(in("input", "FP32", []int{1, 784}, zeros(784))), 400, "want [N, 28, 28]"},
		{"no examples", "POST", infer, json, one(in("input", "FP32", []int{0, 28, 28}, zeros(0))), 400, "N from 1 to 256"},
		{"too many examples", "POST", infer, json, one(in("input", "UINT8", []int{257, 28, 28}, zeros(1))), 400, "N from 1 to 256"},
		{"data far too short", "POST", infer, json, one(in("input", "UINT8", []int{256, 28, 28}, zeros(1))), 400, "inputs[0].data: 3 bytes hold at most 2 numbers; want an array of the 200704 of shape [256 28 28]"},
		{"shape not numbers", "POST", infer, json, []byte(`{"inputs":[{"name":"input","datatype":"FP32","shape":"1,28,28","data":[]}]}`), 400, "inputs.shape is a JSON string; want an array"},
		{"negative shape", "POST", infer, json, one(in("input", "FP32", []int{-1, 28, 28}, zeros(784))), 400, "inputs[0].shape [-1 28 28]"},
		{"no data", "POST", infer, json, one(in("input", "FP32", []int{1, 28, 28}, nil)), 400, "inputs[0].data is missing"},
		{"too few values", "POST", infer, json, fp32(zeros(783)), 400, "783 values; shape [1 28 28] holds 784"},
		{"too many values", "POST", infer, json, fp32(zeros(785)), 400, "more than the 784 values"},
		{"string value", "POST", infer, json, fp32(append([]any{"0.5"}, make([]any, 783)...)), 400, `inputs[0].data[0]: want a number, found "0.5"`},
		{"null value", "POST", infer, json, fp32(make([]any, 784)), 400, "data[0]: want a number"},
		{"FP32 out of range", "POST", infer, json, []byte(`{"inputs":[{"name":"input","datatype":"FP32","shape":[1,28,28],"data":[1e39` + strings.Repeat(",0", 783) + `]}]}`), 400, "data[0]: 1e39 is outside the FP32 range"},
		{"UINT8 too large", "POST", infer, json, one(in("input", "UINT8", []int{1, 28, 28}, append([]int{256}, zeros(783)...))), 400, "data[0]: 256 is not a UINT8"},
		{"UINT8 fraction", "POST", infer, json, []byte(`{"inputs":[{"name":"input","datatype":"UINT8","shape":[1,28,28],"data":[0,1.5` + strings.Repeat(",0", 782) + `]}]}`), 400, "data[1]: 1.5 is not a UINT8"},
		{"UINT8 negative", "POST", infer, json, one(in("input", "UINT8", []int{1, 28, 28}, append([]int{-3}, zeros(783)...))), 400, "data[0]: -3 is not a UINT8"},
		{"ragged rows", "POST", infer, json, fp32(ragged(28, 28, 1, 27)), 400, "inputs[0].data[0][1]: 27 values; want 28"},
		{"too few rows", "POST", infer, json, fp32(ragged(27, 28, -1, 0)), 400, "inputs[0].data[0]: 27 arrays; want 28"},
		{"example one value short", "POST", infer, json, fp32([][]int{zeros(783), zeros(1)}), 400, "inputs[0].data[0]: 783 values; want 784"},
		{"numbers and arrays mixed", "POST", infer, json, fp32([]any{0, zeros(783)}), 400, "inputs[0].data: mixes numbers and arrays"},
		{"data an object", "POST", infer, json, one(in("input", "FP32", []int{1, 28, 28}, map[string]int{"a": 1})), 400, "want an array of"},
		{"nested too deep", "POST", infer, json, fp32([]any{[][][]int{{{1}}}, zeros(784)}), 400, "arrays nested 4 deep"},
		{"wrong output", "POST", infer, json, []byte(`{"inputs":[{"name":"input","datatype":"FP32","shape":[1,28,28],"data":[]}],"outputs":[{"name":"logits"}]}`), 400, `outputs[0].name "logits"`},
		{"classification extension", "POST", infer, json, fp32Outputs(`[{"name":"probabilities","parameters":{"classification":3}}]`), 400, `outputs[0].parameters.classification: the classification extension is not supported`},
		{"output parameters not an object", "POST", infer, json, fp32Outputs(`[{"name":"probabilities","parameters":[1]}]`), 400, `outputs.parameters is a JSON array; want an object`},
		{"binary extension", "POST", infer, json, nil, 400, "binary tensor data extension"},
		{"oversized body", "POST", infer, json, bytes.Repeat([]byte(" "), 65<<10), 413, "the limit is 64 KiB"},
		{"classify unknown model", "POST", "/v1/models/nope:classify", "image/png", img, 404, `no model "nope"`},
		{"classify no action", "POST", "/v1/models/mlp", "image/png", img, 404, "want POST /v1/models/{name}:classify"},
		{"classify wrong method", "GET", classify, "", nil, 405, "allowed: POST"},
		{"classify wrong content type", "POST", classify, "text/plain", img, 415, "want image/png, image/jpeg, application/octet-stream or multipart/form-data"},
		{"classify bad content type", "POST", classify, "image/", img, 415, "multipart/form-data"},
		{"classify not an image", "POST", classify, "image/png", []byte("hello, not an image"), 400, "not a PNG or JPEG image"},
		{"classify GIF", "POST", classify, "application/octet-stream", gifImage(t), 415, "a gif image: want PNG or JPEG"},
		{"classify empty", "POST", classify, "application/octet-stream", nil, 400, "the image is empty"},
		{"classify truncated PNG", "POST", classify, "image/png", img[:len(img)/2], 400, "the png image"},
		{"classify too many pixels", "POST", classify, "image/png", bomb, 413, "png image of 5000×5000 pixels"},
		{"classify oversized", "POST", classify, "image/png", bytes.Repeat([]byte{0}, 65<<10), 413, "the limit is 64 KiB"},
		{"classify multipart no file", "POST", classify, noFileCT, noFile, 400, "no file"},
		{"classify multipart text part", "POST", classify, textCT, textPart, 415, `Content-Type "text/plain"`},
		{"classify multipart no boundary", "POST", classify, "multipart/form-data", img, 400, "needs a boundary"},
		{"classify multipart broken", "POST", classify, "multipart/form-data; boundary=xyz", []byte("--xyz\r\nbroken"), 400, "reading the multipart body"},
		{"classify bad top", "POST", classify + "?top=0", "image/png", img, 400, `top="0": want an integer from 1 to 10`},
		{"classify bad invert", "POST", classify + "?invert=sideways", "image/png", img, 400, `invert="sideways"`},
		{"missing static file", "GET", "/static/nope.js", "", nil, 404, `no file "nope.js"`},
		{"missing figure", "GET", "/v1/models/mlp/figures/loss.svg", "", nil, 404, `no figure "loss.svg"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, ts.URL+tc.path, bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.name == "binary extension" {
				req.Header.Set("Inference-Header-Content-Length", "10")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body bytes.Buffer
			body.ReadFrom(res.Body)
			if res.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", res.StatusCode, tc.status, truncate(body.Bytes()))
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			wantJSONError(t, tc.name, body.Bytes(), tc.says)
		})
	}
}

// TestTooManyRequests holds one request in a batch that waits, so that
// with MaxInFlight 1 the next gets 429 with a JSON error, and the first
// still succeeds.
func TestTooManyRequests(t *testing.T) {
	s, ts := newServer(t, []Model{untrained(t)}, Options{MaxInFlight: 1, MaxBatch: 64, MaxWait: 2 * time.Second})
	body := inferBody(t, "UINT8", 1, make([]int, 784))
	first := make(chan int, 1)
	go func() {
		code, _ := do(t, "POST", ts.URL+"/v2/models/mlp/infer", "application/json", body)
		first <- code
	}()
	waitFor(t, "the first request to be in flight", func() bool { return len(s.inFlight) == 1 })
	code, b := do(t, "POST", ts.URL+"/v2/models/mlp/infer", "application/json", body)
	if code != http.StatusTooManyRequests {
		t.Errorf("second request: status %d, want 429: %s", code, b)
	}
	wantJSONError(t, "429", b, "retry later")
	// Health and metadata are not inference and are never refused.
	if code, b := do(t, "GET", ts.URL+"/v2/health/ready", "", nil); code != 200 || !strings.Contains(string(b), `"ready":true`) {
		t.Errorf("ready while busy: %d %s", code, b)
	}
	if code := <-first; code != 200 {
		t.Errorf("first request: status %d, want 200", code)
	}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestHealthAndMetadata checks the protocol's health and metadata
// answers.
func TestHealthAndMetadata(t *testing.T) {
	_, ts := newServer(t, []Model{untrained(t)}, Options{})
	for _, tc := range []struct{ path, want string }{
		{"/v2/health/live", `{"live":true}`},
		{"/v2/health/ready", `{"ready":true}`},
		{"/v2/models/mlp/ready", `{"name":"mlp","ready":true}`},
		{"/v2/models/mlp/versions/7/ready", `{"name":"mlp","ready":true}`},
	} {
		code, b := do(t, "GET", ts.URL+tc.path, "", nil)
		if code != 200 || strings.TrimSpace(string(b)) != tc.want {
			t.Errorf("GET %s: %d %s, want 200 %s", tc.path, code, b, tc.want)
		}
	}
	code, b := do(t, "GET", ts.URL+"/v2/models/mlp", "", nil)
	if code != 200 {
		t.Fatalf("metadata: %d %s", code, b)
	}
	var md modelMetadata
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	if md.Name != "mlp" || fmt.Sprint(md.Versions) != "[7]" || len(md.Inputs) != 1 || len(md.Outputs) != 1 {
		t.Fatalf("metadata %s", b)
	}
	if in := md.Inputs[0]; in.Name != "input" || in.Datatype != "FP32" || fmt.Sprint(in.Shape) != "[-1 28 28]" {
		t.Errorf("input %+v, want input FP32 [-1 28 28]", in)
	}
	if out := md.Outputs[0]; out.Name != "probabilities" || out.Datatype != "FP32" || fmt.Sprint(out.Shape) != "[-1 10]" {
		t.Errorf("output %+v, want probabilities FP32 [-1 10]", out)
	}
	if p := md.Parameters; len(p.ClassNames) != 10 || p.ClassNames[9] != "Ankle boot" || p.UINT8Rescale != 1.0/255 || fmt.Sprint(p.InputDatatypes) != "[FP32 UINT8]" {
		t.Errorf("parameters %+v", p)
	}
	code, b = do(t, "GET", ts.URL+"/v2", "", nil)
	if code != 200 || !strings.Contains(string(b), `"name":"tailor"`) || !strings.Contains(string(b), `"extensions":[]`) {
		t.Errorf("server metadata: %d %s", code, b)
	}
}

// TestMetrics checks the metric names and labels after a few requests.
func TestMetrics(t *testing.T) {
	_, ts := newServer(t, []Model{untrained(t)}, Options{MaxBatch: 1})
	for range 3 {
		do(t, "POST", ts.URL+"/v2/models/mlp/infer", "application/json", inferBody(t, "UINT8", 2, make([]int, 2*784)))
	}
	do(t, "POST", ts.URL+"/v2/models/mlp/infer", "application/json", []byte("{"))
	do(t, "GET", ts.URL+"/nowhere", "", nil)
	code, b := do(t, "GET", ts.URL+"/metrics", "", nil)
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	text := string(b)
	for _, want := range []string{
		`tailor_http_requests_total{code="200",endpoint="infer"} 3`,
		`tailor_http_requests_total{code="400",endpoint="infer"} 1`,
		`tailor_http_requests_total{code="404",endpoint="other"} 1`,
		`tailor_http_request_duration_seconds_count{endpoint="infer"} 4`,
		`tailor_inference_batch_size_bucket{model="mlp",le="2"} 3`,
		`tailor_inference_batch_size_sum{model="mlp"} 6`,
		`tailor_inference_duration_seconds_count{model="mlp"} 3`,
		`tailor_model_info{classes="10",input_shape="28x28",model="mlp",output_shape="10",version="7"} 1`,
		`tailor_model_parameters{model="mlp"} 101770`,
		`tailor_http_requests_in_flight 0`,
		"# TYPE tailor_http_request_duration_seconds histogram",
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^process_resident_memory_bytes \d`).MatchString(text) {
		t.Error("metrics lack process_resident_memory_bytes")
	}
}

// TestGracefulShutdown cancels Serve's context while a request waits in a
// batch: the request must finish with 200, Serve must return nil, and the
// listener must be closed.
func TestGracefulShutdown(t *testing.T) {
	s, err := New([]Model{untrained(t)}, Options{MaxBatch: 64, MaxWait: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	waitFor(t, "the server to answer", func() bool {
		res, err := http.Get(url + "/v2/health/live")
		if err == nil {
			res.Body.Close()
		}
		return err == nil
	})
	result := make(chan int, 1)
	go func() {
		code, _ := do(t, "POST", url+"/v2/models/mlp/infer", "application/json", inferBody(t, "UINT8", 1, make([]int, 784)))
		result <- code
	}()
	waitFor(t, "the request to be in flight", func() bool { return len(s.inFlight) == 1 })
	start := time.Now()
	cancel()
	if code := <-result; code != 200 {
		t.Errorf("in-flight request: status %d, want 200", code)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	t.Logf("shut down in %v", time.Since(start))
	if _, err := http.Get(url + "/v2/health/live"); err == nil {
		t.Error("the server still answers after shutdown")
	}
}

// TestOptionsAndNames checks New's checks of the models.
func TestOptionsAndNames(t *testing.T) {
	m := untrained(t)
	bad := m
	bad.Name = "a:b"
	unbuilt := Model{Name: "x", Model: tailor.Sequential()}
	// Preprocessing a model file could not hold (saving.Load refuses it),
	// which would otherwise turn every UINT8 pixel into 0, or read a
	// polarity or interpolation the server does not know as another.
	prep := func(p saving.Preprocessing) Model {
		c := m
		c.Meta.Preprocessing = &p
		return c
	}
	rgb := Model{Name: "rgb", Model: kindModel(t, []int{8, 8, 3}, 2, activations.Softmax)}
	rgb.Meta = saving.ImageFolder([]string{"a", "b"}, saving.ColorRGB, "cubic", 1.0/255)
	for _, tc := range []struct {
		models []Model
		says   string
	}{
		{nil, "no models"},
		{[]Model{bad}, `model name "a:b"`},
		{[]Model{m, m}, `two models named "mlp"`},
		{[]Model{unbuilt}, `model "x" is not built`},
		{[]Model{prep(saving.Preprocessing{Polarity: saving.PolarityDarkOnLight})}, `model "mlp": Meta.Preprocessing: rescale 0: want a positive scale`},
		{[]Model{prep(saving.Preprocessing{Rescale: math.NaN()})}, `Meta.Preprocessing: rescale NaN`},
		{[]Model{prep(saving.Preprocessing{Rescale: 1.0 / 255, Polarity: "dark-on-light"})}, `Meta.Preprocessing: polarity "dark-on-light", want "light_on_dark" or "dark_on_light"`},
		{[]Model{rgb}, `model "rgb": Meta.Preprocessing: interpolation "cubic", want "bilinear", "nearest" or "area"`},
		{[]Model{prep(saving.Preprocessing{Rescale: 1.0 / 255, ColorMode: "gray"})}, `Meta.Preprocessing: color_mode "gray", want "rgb" or "grayscale"`},
		{[]Model{prep(saving.Preprocessing{Rescale: 1.0 / 255, Interpolation: "area"})}, `Meta.Preprocessing: interpolation "area" without a color_mode`},
	} {
		_, err := New(tc.models, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("New(%d models): %v, want an error saying %q", len(tc.models), err, tc.says)
		}
	}
	s, err := New([]Model{m}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.opts.MaxBatch != 32 || s.opts.MaxInFlight != 64 || s.opts.MaxBodyBytes != 8<<20 || s.opts.ReadHeaderTimeout != 5*time.Second {
		t.Errorf("defaults %+v", s.opts)
	}
	if got := strconv.Itoa(len(s.order)); got != "1" {
		t.Errorf("%s models", got)
	}
}

// TestForwardBatches sends one request of more examples than a forward
// pass of the model's inference budget holds (8192 examples of 33,001
// activations need more than tailor.MaxInferenceBytes at once): the server
// runs it in passes of Predict's default batch, with batching on and off,
// and each output is the bits Predict gives the example alone.
func TestForwardBatches(t *testing.T) {
	const n = 8192
	m := tailor.Sequential(layers.Dense(33000, activations.Linear), layers.Dense(1, activations.Sigmoid))
	if err := m.SetSeed(5); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(1); err != nil {
		t.Fatal(err)
	}
	x := &tensor.Tensor{Shape: tensor.Shape{n, 1}, Data: make([]float32, n)}
	for i := range x.Data {
		x.Data[i] = float32(i%97)/48 - 1
	}
	want, err := m.Predict(context.Background(), x, tailor.PredictOptions{BatchSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{"inputs": []map[string]any{{"name": "input", "shape": []int{n, 1}, "datatype": "FP32", "data": x.Data}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{MaxBatch: 1, MaxExamples: n}, {MaxBatch: n, MaxExamples: n}} {
		_, ts := newServer(t, []Model{{Name: "wide", Model: m}}, opts)
		code, b := do(t, "POST", ts.URL+"/v2/models/wide/infer", "application/json", body)
		var res inferResponse
		if err := json.Unmarshal(b, &res); err != nil || code != 200 || len(res.Outputs) != 1 {
			t.Fatalf("max batch %d: status %d: %s", opts.MaxBatch, code, truncate(b))
		}
		if !slices.Equal(res.Outputs[0].Data, want.Data) {
			t.Errorf("max batch %d: outputs differ from Predict's one example at a time", opts.MaxBatch)
		}
	}
}

// reshapes returns a model of n reshapes of width values (they keep no
// outputs of their own, so cost nothing to run, but count towards the
// inference budget as every layer does) before a Dense(1, sigmoid).
func reshapes(t *testing.T, n, width int) *tailor.Model {
	t.Helper()
	ls := make([]layers.Layer, 0, n+1)
	for range n {
		ls = append(ls, layers.Reshape(width))
	}
	m := tailor.Sequential(append(ls, layers.Dense(1, activations.Sigmoid))...)
	if err := m.SetSeed(2); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(width); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBudgetOptions: a model whose forward pass of 256 examples would
// exceed tailor.MaxInferenceBytes (1100 reshapes of 1024 values: 1.1 GiB)
// is served with the default limits, in passes of Predict's default batch
// (238 examples), with and without batching, each output Predict's for
// the example alone; one that cannot hold even one example (4100 reshapes
// of 65,536 values: 1 GiB and 1 MiB) is refused by New.
func TestBudgetOptions(t *testing.T) {
	m := reshapes(t, 1100, 1024)
	if b := m.DefaultBatchSize(false); b >= 256 {
		t.Fatalf("the model's default batch is %d, want it under 256", b)
	}
	const n = 256
	x := tensor.New(n, 1024)
	for i := range x.Data {
		x.Data[i] = float32(i%89)/44 - 1
	}
	want, err := m.Predict(context.Background(), x, tailor.PredictOptions{BatchSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{"inputs": []map[string]any{{"name": "input", "shape": []int{n, 1024}, "datatype": "FP32", "data": x.Data}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{}, {MaxBatch: 1}, {MaxBatch: n}} {
		_, ts := newServer(t, []Model{{Name: "tall", Model: m}}, opts)
		code, b := do(t, "POST", ts.URL+"/v2/models/tall/infer", "application/json", body)
		var res inferResponse
		if err := json.Unmarshal(b, &res); err != nil || code != 200 || len(res.Outputs) != 1 {
			t.Fatalf("%+v: status %d: %s", opts, code, truncate(b))
		}
		if !slices.Equal(res.Outputs[0].Data, want.Data) {
			t.Errorf("%+v: outputs differ from Predict's one example at a time", opts)
		}
	}

	_, err = New([]Model{{Name: "huge", Model: reshapes(t, 4100, 65536)}}, Options{})
	if err == nil || !strings.Contains(err.Error(), `serve: model "huge": one example needs 1025 MiB for the layers' outputs, more than tailor.MaxInferenceBytes (1024 MiB)`) {
		t.Errorf("New with a model of 1025 MiB an example: %v", err)
	}
}

// TestNestedData sends two examples flat, as one array per example and
// nested as the shape: each gets the same outputs.
func TestNestedData(t *testing.T) {
	_, ts := newServer(t, []Model{untrained(t)}, Options{MaxBatch: 1})
	flat := make([]int, 2*784)
	for i := range flat {
		flat[i] = i % 256
	}
	perExample := [][]int{flat[:784], flat[784:]}
	nested := make([][][]int, 2)
	for i := range nested {
		for r := range 28 {
			nested[i] = append(nested[i], flat[i*784+r*28:i*784+(r+1)*28])
		}
	}
	var first []float32
	for _, data := range []any{flat, perExample, nested} {
		code, b := do(t, "POST", ts.URL+"/v2/models/mlp/infer", "application/json", inferBody(t, "UINT8", 2, data))
		var res inferResponse
		if err := json.Unmarshal(b, &res); err != nil || code != 200 || len(res.Outputs) != 1 {
			t.Fatalf("data nested %T: status %d: %s", data, code, truncate(b))
		}
		if first == nil {
			first = res.Outputs[0].Data
		} else if !slices.Equal(res.Outputs[0].Data, first) {
			t.Errorf("data nested %T: outputs differ from the flat data's", data)
		}
	}
}

// TestShortDataAllocatesLittle sends a request declaring 256 examples of
// 64×64×3 with one value: it must be refused before memory for the
// 3 million values is allocated.
func TestShortDataAllocatesLittle(t *testing.T) {
	sig := &signature{input: tensor.Shape{64, 64, 3}, output: tensor.Shape{10}, maxExamples: 256, maxOutputs: 4 << 20}
	body := []byte(`{"inputs":[{"name":"input","shape":[256,64,64,3],"datatype":"FP32","data":[0]}]}`)
	var err error
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = decodeInfer(body, sig)
	runtime.ReadMemStats(&after)
	if statusOf(err) != 400 || !strings.Contains(err.Error(), "want an array of the 3145728") {
		t.Errorf("decodeInfer: %v, want a 400 saying the shape holds 3145728 values", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Errorf("decodeInfer allocated %d bytes for a body of %d", n, len(body))
	}
}

// TestOverflow sends valid FP32 values too large for the model (3e38,
// which its first layer's sums overflow): a 422 blaming the request's
// values, with nothing in the server's error log. A model that computes
// NaN for a blank example is refused at start, so that such an output is
// always the request's doing.
func TestOverflow(t *testing.T) {
	var logged bytes.Buffer
	_, ts := newServer(t, []Model{untrained(t)}, Options{ErrorLog: log.New(&logged, "", 0)})
	huge := make([]float32, 784)
	for i := range huge {
		huge[i] = 3e38
	}
	code, b := do(t, "POST", ts.URL+"/v2/models/mlp/infer", "application/json", inferBody(t, "FP32", 1, huge))
	if code != http.StatusUnprocessableEntity {
		t.Errorf("status %d, want 422: %s", code, b)
	}
	wantJSONError(t, "overflow", b, "the request's values, though valid, overflow it")
	if logged.Len() > 0 {
		t.Errorf("the server logged a failure of its own: %s", logged.String())
	}

	broken := untrained(t)
	broken.Model.Params()[0].Value.Data[0] = float32(math.NaN())
	if _, err := New([]Model{broken}, Options{}); err == nil || !strings.Contains(err.Error(), "are its weights finite?") {
		t.Errorf("New of a model with a NaN weight: %v", err)
	}
}

// TestInferAsTritonClientSends sends an infer request the way
// tritonclient.http sends one with JSON tensors: no Content-Type header
// (geventhttpclient sets none), the output requested with
// "binary_data": true (InferRequestedOutput's default) and the request's
// parameters. The server must answer it with Predict's probabilities in
// JSON, which that client reads when the response has no binary part.
func TestInferAsTritonClientSends(t *testing.T) {
	m := untrained(t)
	_, ts := newServer(t, []Model{m}, Options{MaxBatch: 1})
	px := make([]uint8, 2*784)
	for i := range px {
		px[i] = uint8(i * 7)
	}
	x, _ := tensor.FromUint8(px, 1.0/255, 2, 28, 28)
	want, err := m.Model.Predict(context.Background(), x, tailor.PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"inputs":     []any{map[string]any{"name": "input", "shape": []int{2, 28, 28}, "datatype": "FP32", "data": x.Data}},
		"outputs":    []any{map[string]any{"name": "probabilities", "parameters": map[string]any{"binary_data": true}}},
		"parameters": map[string]any{"binary_data_output": false},
	})
	code, b := do(t, "POST", ts.URL+"/v2/models/mlp/infer", "", body)
	if code != 200 {
		t.Fatalf("status %d: %s", code, b)
	}
	var res inferResponse
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != 1 || !slices.Equal(res.Outputs[0].Data, want.Data) {
		t.Errorf("probabilities differ from Predict's: %s", truncate(b))
	}
	// A Content-Type that says the body is something else is still refused.
	code, b = do(t, "POST", ts.URL+"/v2/models/mlp/infer", "text/plain", body)
	if code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: status %d, want 415: %s", code, b)
	}
}

// TestClassifyMultipartPrefersImage sends forms whose "image" part comes
// after other file parts (a JSON file of notes, a thumbnail): classify
// reads the part named "image", and the first file part only when no part
// is named so.
func TestClassifyMultipartPrefersImage(t *testing.T) {
	m := untrained(t)
	_, ts := newServer(t, []Model{m}, Options{MaxBatch: 1})
	px := make([]uint8, 784)
	for i := range px {
		if r, c := i/28, i%28; r > 4 && r < 24 && c > 8 && c < 20 {
			px[i] = uint8(100 + r*5)
		}
	}
	img, blank := pngOf(px, 28, 28), pngOf(make([]uint8, 784), 28, 28)
	x, _ := tensor.FromUint8(px, 1.0/255, 1, 28, 28)
	want, err := m.Model.Predict(context.Background(), x, tailor.PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type part struct {
		name, file, contentType string
		body                    []byte
	}
	form := func(parts ...part) (string, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, p := range parts {
			hdr := textproto.MIMEHeader{}
			disp := fmt.Sprintf("form-data; name=%q", p.name)
			if p.file != "" {
				disp += fmt.Sprintf("; filename=%q", p.file)
			}
			hdr.Set("Content-Disposition", disp)
			if p.contentType != "" {
				hdr.Set("Content-Type", p.contentType)
			}
			pw, _ := mw.CreatePart(hdr)
			pw.Write(p.body)
		}
		mw.Close()
		return mw.FormDataContentType(), buf.Bytes()
	}
	for _, tc := range []struct {
		name  string
		parts []part
	}{
		{"a JSON file first", []part{{"notes", "notes.json", "application/json", []byte(`{"a":1}`)}, {"image", "shirt.png", "image/png", img}}},
		{"a thumbnail first", []part{{"thumbnail", "small.png", "image/png", blank}, {"image", "shirt.png", "image/png", img}}},
		{"no part named image", []part{{"label", "", "", []byte("shirt")}, {"file", "shirt.png", "image/png", img}, {"other", "blank.png", "image/png", blank}}},
	} {
		ct, body := form(tc.parts...)
		code, b := do(t, "POST", ts.URL+"/v1/models/mlp:classify", ct, body)
		if code != 200 {
			t.Errorf("%s: status %d: %s", tc.name, code, b)
			continue
		}
		var res classifyResponse
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Probabilities, want.Data) {
			t.Errorf("%s: probabilities %v, want the image's %v", tc.name, res.Probabilities, want.Data)
		}
	}
}

// TestContentEncodingRefused sends compressed bodies, as tritonclient.http
// does with request_compression_algorithm="gzip": the server does not
// decompress them, so it must say so (415 naming Content-Encoding) rather
// than call the gzip bytes malformed JSON or an unknown image format.
func TestContentEncodingRefused(t *testing.T) {
	_, ts := newServer(t, []Model{untrained(t)}, Options{MaxBatch: 1})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(inferBody(t, "UINT8", 1, make([]int, 784)))
	zw.Close()
	img := pngOf(make([]uint8, 784), 28, 28)
	formCT, form := multipartImage(t, "image", "image/png", img)
	for _, tc := range []struct {
		name, path, contentType, encoding string
		body                              []byte
	}{
		{"infer gzip", "/v2/models/mlp/infer", "application/json", "gzip", gz.Bytes()},
		{"infer deflate", "/v2/models/mlp/infer", "", "deflate", gz.Bytes()},
		{"classify gzip", "/v1/models/mlp:classify", "image/png", "gzip", img},
		{"classify multipart br", "/v1/models/mlp:classify", formCT, "br", form},
	} {
		req, _ := http.NewRequest("POST", ts.URL+tc.path, bytes.NewReader(tc.body))
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		req.Header.Set("Content-Encoding", tc.encoding)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("%s: status %d, want 415: %s", tc.name, res.StatusCode, b)
		}
		wantJSONError(t, tc.name, b, fmt.Sprintf("Content-Encoding %q", tc.encoding))
	}
	// identity is no encoding.
	req, _ := http.NewRequest("POST", ts.URL+"/v1/models/mlp:classify", bytes.NewReader(img))
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("Content-Encoding", "identity")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("identity: status %d, want 200", res.StatusCode)
	}
}

// readSignal is a request body that tells when the handler first reads
// it.
type readSignal struct {
	io.ReadCloser
	once    sync.Once
	reading chan struct{}
}

func (b *readSignal) Read(p []byte) (int, error) {
	b.once.Do(func() { close(b.reading) })
	return b.ReadCloser.Read(p)
}

// TestSlowUploadHoldsNoToken sends, with MaxInFlight 1, an infer and a
// classify request whose bodies arrive slowly: while the server reads them
// they must hold no in-flight token, so that another client's infer
// request is served (not refused with 429), and they are served once
// their bodies are whole.
func TestSlowUploadHoldsNoToken(t *testing.T) {
	m := untrained(t)
	s, err := New([]Model{m}, Options{MaxInFlight: 1, MaxBatch: 1, ErrorLog: log.New(testWriter{t}, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	reading := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Slow") != "" {
			r.Body = &readSignal{ReadCloser: r.Body, reading: reading}
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	infer := inferBody(t, "UINT8", 1, make([]int, 784))
	for _, slow := range []struct {
		name, path, contentType string
		body                    []byte
	}{
		{"infer", "/v2/models/mlp/infer", "application/json", infer},
		{"classify", "/v1/models/mlp:classify", "image/png", pngOf(make([]uint8, 784), 28, 28)},
	} {
		t.Run(slow.name, func(t *testing.T) {
			reading = make(chan struct{})
			pr, pw := io.Pipe()
			req, err := http.NewRequest("POST", ts.URL+slow.path, pr)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = int64(len(slow.body))
			req.Header.Set("Content-Type", slow.contentType)
			req.Header.Set("X-Slow", "1")
			answer := make(chan int, 1)
			go func() {
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					answer <- 0
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				answer <- res.StatusCode
			}()
			if _, err := pw.Write(slow.body[:10]); err != nil {
				t.Fatal(err)
			}
			<-reading // the slow request's handler is reading its body
			code, b := do(t, "POST", ts.URL+"/v2/models/mlp/infer", "application/json", infer)
			if code != http.StatusOK {
				t.Errorf("a request while another's body is on its way: %d %s, want 200", code, b)
			}
			if _, err := pw.Write(slow.body[10:]); err != nil {
				t.Fatal(err)
			}
			pw.Close()
			if code := <-answer; code != http.StatusOK {
				t.Errorf("the slow request: %d, want 200", code)
			}
		})
	}
}

// trickle is a body that sends a few bytes and then fails, as a client
// that goes away does.
type trickle struct{ sent bool }

func (b *trickle) Read(p []byte) (int, error) {
	if b.sent {
		return 0, io.ErrUnexpectedEOF
	}
	b.sent = true
	return copy(p, `{"inputs":`), nil
}

// TestDeclaredLengthAllocatesLittle reads a body that declares 8 MiB
// and sends 10 bytes: memory must follow the bytes received, not the
// Content-Length, or clients that only declare large bodies (holding no
// in-flight token while they send them) could make the server allocate
// without bound.
func TestDeclaredLengthAllocatesLittle(t *testing.T) {
	s, err := New([]Model{untrained(t)}, Options{MaxBatch: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := httptest.NewRequest("POST", "/v2/models/mlp/infer", &trickle{})
	r.ContentLength = 8 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = s.readBody(httptest.NewRecorder(), r)
	runtime.ReadMemStats(&after)
	if statusOf(err) != 400 || !strings.Contains(err.Error(), "reading the request body") {
		t.Errorf("readBody: %v, want a 400 for the body that did not arrive", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
		t.Errorf("readBody allocated %d bytes for the 10 received", n)
	}
}

// TestUncleanPaths sends requests whose paths are not clean (a doubled
// slash, a "..", as a client joining a base URL ending in '/' sends
// them): a path that cleans to an endpoint is redirected there with a
// JSON error naming it, which a client following redirects resends; one
// that cleans to no endpoint, or to one without the method, gets the 404
// or 405 at once, never a redirect to it.
func TestUncleanPaths(t *testing.T) {
	_, ts := newServer(t, []Model{untrained(t)}, Options{MaxBatch: 1})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	infer := inferBody(t, "UINT8", 1, make([]int, 784))
	for _, tc := range []struct {
		method, path string
		code         int
		location     string
		says         string
	}{
		{"POST", "//v2/models/mlp/infer", 307, "/v2/models/mlp/infer", "POST /v2/models/mlp/infer"},
		{"POST", "/v2/models/mlp/../mlp/infer?x=1", 307, "/v2/models/mlp/infer?x=1", "POST /v2/models/mlp/infer"},
		{"GET", "//v2/models/mlp", 307, "/v2/models/mlp", "GET /v2/models/mlp"},
		{"GET", "//v2/models/mlp/infer", 405, "", "method not allowed; allowed: POST"},
		{"POST", "//v2/models/mlp", 405, "", "method not allowed; allowed: GET, HEAD"},
		{"POST", "//nowhere", 404, "", "no endpoint //nowhere"},
		{"GET", "/v2/./nowhere/", 404, "", "no endpoint /v2/./nowhere/"},
	} {
		req, err := http.NewRequest(tc.method, ts.URL, bytes.NewReader(infer))
		if err != nil {
			t.Fatal(err)
		}
		path, query, _ := strings.Cut(tc.path, "?")
		req.URL.Path, req.URL.RawQuery = path, query
		req.Header.Set("Content-Type", "application/json")
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		what := tc.method + " " + tc.path
		if res.StatusCode != tc.code || res.Header.Get("Location") != tc.location {
			t.Errorf("%s: %d Location %q, want %d Location %q", what, res.StatusCode, res.Header.Get("Location"), tc.code, tc.location)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q, want application/json", what, ct)
		}
		wantJSONError(t, what, b, tc.says)
	}
	// Go's client follows the 307 with the body.
	req, err := http.NewRequest("POST", ts.URL, bytes.NewReader(infer))
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Path = "//v2/models/mlp/infer"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), `"name":"probabilities"`) {
		t.Errorf("POST //v2/models/mlp/infer, following the redirect: %d %s", res.StatusCode, b)
	}
}

// TestVersionInJSON serves models whose versions hold characters Go
// quotes differently from JSON (DEL, a non-printable rune outside the
// BMP): the infer response must stay valid JSON and carry the version.
func TestVersionInJSON(t *testing.T) {
	for _, version := range []string{"v1\x7f", "build\U000E0001"} {
		m := untrained(t)
		m.Version = version
		_, ts := newServer(t, []Model{m}, Options{MaxBatch: 1})
		code, b := do(t, "POST", ts.URL+"/v2/models/mlp/infer", "application/json", inferBody(t, "UINT8", 1, make([]int, 784)))
		var r inferResponse
		if err := json.Unmarshal(b, &r); code != 200 || err != nil || r.ModelVersion != version {
			t.Errorf("version %q: %d %s (%v), want 200 and model_version %q", version, code, truncate(b), err, version)
		}
	}
}

// TestManyElementsAllocateLittle decodes bodies of 1 MiB holding hundreds
// of thousands of inputs, outputs or shape dimensions: each must be
// refused without allocating more than a few times the body (a struct
// per "{}" of three bytes would be a hundred times it, and MaxInFlight
// such requests at once, gigabytes).
func TestManyElementsAllocateLittle(t *testing.T) {
	sig := &signature{input: tensor.Shape{28, 28}, output: tensor.Shape{10}, maxExamples: 256, maxOutputs: 4 << 20}
	const size = 1 << 20
	valid := `{"name":"input","shape":[1,28,28],"datatype":"FP32","data":[0]}`
	for _, tc := range []struct {
		name, body, says string
	}{
		{"inputs", `{"inputs":[` + strings.Repeat(`{},`, size/3) + `{}]}`, fmt.Sprintf("inputs: %d tensors; want one", size/3+1)},
		{"outputs", `{"inputs":[` + valid + `],"outputs":[` + strings.Repeat(`{"name":"probabilities"},`, size/25) + `{}]}`, fmt.Sprintf("outputs: %d tensors; the model has one output", size/25+1)},
		{"shape", `{"inputs":[{"name":"input","shape":[` + strings.Repeat(`1,`, size/2) + `1],"datatype":"FP32","data":[0]}]}`, fmt.Sprintf("inputs[0].shape: %d dimensions; want [N, 28, 28]", size/2+1)},
		{"output parameters", `{"inputs":[` + valid + `],"outputs":[{"name":"probabilities","parameters":{` + manyKeys(size/10) + `"classification":1}}]}`, "outputs[0].parameters.classification: the classification extension is not supported"},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := decodeInfer([]byte(tc.body), sig)
		runtime.ReadMemStats(&after)
		if statusOf(err) != 400 || !strings.Contains(err.Error(), tc.says) || len(err.Error()) > 400 {
			t.Errorf("%s: %.300v; want a short 400 saying %q", tc.name, err, tc.says)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 4*size {
			t.Errorf("%s: decodeInfer allocated %d MiB for a body of %d MiB", tc.name, n>>20, len(tc.body)>>20)
		}
	}
}

// manyKeys is n JSON object members, "k0":0,"k1":0,..., each followed by
// a comma.
func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `"k%d":0,`, i)
	}
	return b.String()
}
