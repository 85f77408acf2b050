package serve

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tailor-ml/tailor/tensor"
)

// FuzzDecodeInfer feeds request bodies to the v2 decoder for a small
// model (2×2 inputs, at most 3 examples, so that the fuzzer reaches valid
// requests) and the Fashion-MNIST one. It must never panic; what it
// accepts must fill the shape with finite values, UINT8 ones from the
// table; what it refuses must be a 400.
//
//	go test -fuzz FuzzDecodeInfer -fuzztime 3m ./serve/
func FuzzDecodeInfer(f *testing.F) {
	for _, seed := range []string{
		`{"inputs":[{"name":"input","shape":[1,2,2],"datatype":"FP32","data":[0.5,1,-2,3e-3]}]}`,
		`{"id":"a","inputs":[{"name":"input","shape":[2,2,2],"datatype":"UINT8","data":[[[0,1],[2,3]],[[255,4],[5,6]]]}],"outputs":[{"name":"probabilities"}]}`,
		`{"inputs":[{"name":"input","shape":[1,28,28],"datatype":"UINT8","data":[` + strings.Repeat("7,", 783) + `9]}]}`,
		`{"inputs":[{"name":"input","shape":[1,2,2],"datatype":"FP32","data":[1e39,0,0,0]}]}`,
		`{"inputs":[{"name":"input","shape":[1,2,2],"datatype":"UINT8","data":[256,0,0,0]}]}`,
		`{"inputs":[{"name":"input","shape":[1,2,2],"datatype":"FP32","data":[1,2,3]}]}`,
		`{"inputs":[{"name":"input","shape":[1,2,2],"datatype":"FP32","data":[[1,[2]],3,4]}]}`,
		`{"inputs":[]}`, `[]`, `null`, ``, `{"inputs":[{"shape":"x"}]}`,
	} {
		f.Add([]byte(seed))
	}
	table, err := uint8Table(1.0 / 255)
	if err != nil {
		f.Fatal(err)
	}
	sigs := []*signature{
		{input: tensor.Shape{2, 2}, output: tensor.Shape{10}, maxExamples: 3, maxOutputs: 4 << 20, uint8Table: table},
		{input: tensor.Shape{28, 28}, output: tensor.Shape{10}, maxExamples: 256, maxOutputs: 4 << 20, uint8Table: table},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, sig := range sigs {
			in, err := decodeInfer(body, sig)
			if err != nil {
				if statusOf(err) != http.StatusBadRequest {
					t.Fatalf("error %v has status %d, want 400", err, statusOf(err))
				}
				continue
			}
			if in.n < 1 || in.n > sig.maxExamples || len(in.x) != in.n*sig.input.Size() {
				t.Fatalf("accepted %d examples in %d values for %v", in.n, len(in.x), sig.input)
			}
			for _, v := range in.x {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("accepted %v", v)
				}
			}
			if !json.Valid(body) {
				t.Fatalf("accepted invalid JSON %q", body)
			}
		}
	})
}

// FuzzScanNumbers checks the tensor data scanner against encoding/json:
// on a flat array, both must accept the same texts and read the same
// float32 values (save numbers beyond float32's range, which the scanner
// refuses).
//
//	go test -fuzz FuzzScanNumbers -fuzztime 3m ./serve/
func FuzzScanNumbers(f *testing.F) {
	for _, seed := range []string{`[]`, `[1]`, `[ -0.5 , 2e3,1E-2 ]`, `[1,]`, `[,1]`, `[1 2]`, `[01]`, `[1.]`, `[-]`, `[1e400]`, `[[1]]`, `["1"]`, `[1]x`, `[`, `[1e-50]`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var got []float32
		_, scanErr := scanNumbers(raw, []int64{1 << 20}, func(i int, tok []byte) error {
			v, err := parseFP32(tok)
			got = append(got, v)
			return err
		})
		var ref []float64
		refErr := json.Unmarshal(raw, &ref)
		if refErr == nil && ref == nil {
			refErr = errNull // "null" is valid JSON but not an array
		}
		if refErr == nil {
			for _, v := range ref {
				if math.Abs(v) > math.MaxFloat32 {
					return // refused by the scanner only
				}
			}
		}
		if (scanErr == nil) != (refErr == nil) {
			t.Fatalf("%q: scanner %v, encoding/json %v", raw, scanErr, refErr)
		}
		if scanErr != nil {
			return
		}
		if len(got) != len(ref) {
			t.Fatalf("%q: %d values, encoding/json %d", raw, len(got), len(ref))
		}
		for i := range got {
			// Both round the decimal once: ParseFloat(…, 32) to float32,
			// encoding/json to float64, then float32 of it may round again,
			// so compare with ParseFloat's float32 of the same text.
			if want := float32(ref[i]); got[i] != want && !closeFloat32(got[i], want) {
				t.Fatalf("%q: value %d is %v, encoding/json %v", raw, i, got[i], ref[i])
			}
		}
	})
}

type nullError struct{}

func (nullError) Error() string { return "null" }

var errNull error = nullError{}

// closeFloat32 reports whether a and b are neighbouring float32 values,
// the most that rounding twice can move a value.
func closeFloat32(a, b float32) bool {
	return math.Nextafter32(a, b) == b
}

var (
	fuzzServerOnce sync.Once
	fuzzServer     *Server
)

// FuzzHandlers sends arbitrary bodies with arbitrary content types to the
// infer and classify endpoints of a real server (an untrained MLP, no
// batching). No request may get a 5xx, and every answer must be JSON: an
// error object for a 4xx.
//
//	go test -fuzz FuzzHandlers -fuzztime 3m ./serve/
func FuzzHandlers(f *testing.F) {
	var jpg bytes.Buffer
	im := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range im.Pix {
		im.Pix[i] = uint8(i * 7)
	}
	im.Set(3, 3, color.White)
	if err := jpeg.Encode(&jpg, im, nil); err != nil {
		f.Fatal(err)
	}
	png28 := pngOf(make([]uint8, 28*28), 28, 28)
	formCT, form := multipartImage(f, "image", "image/png", png28)
	seeds := []struct {
		endpoint    uint8
		contentType string
		body        []byte
	}{
		{0, "application/json", inferBody(f, "UINT8", 1, make([]int, 784))},
		{0, "application/json", []byte(`{"inputs":[{"name":"input","shape":[1,28,28],"datatype":"FP32","data":[1]}]}`)},
		{0, "text/plain", []byte("{}")},
		{1, "image/png", png28},
		{1, "image/jpeg", jpg.Bytes()},
		{1, formCT, form},
		{1, "multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\n\x89PNG\r\n--x--\r\n")},
		{2, "application/octet-stream", png28[:40]},
	}
	for _, s := range seeds {
		f.Add(s.endpoint, s.contentType, s.body)
	}
	fuzzServerOnce.Do(func() {
		s, err := New([]Model{untrained(f)}, Options{MaxBatch: 1, MaxBodyBytes: 1 << 20, MaxImagePixels: 1 << 20})
		if err != nil {
			f.Fatal(err)
		}
		fuzzServer = s
	})
	paths := []string{"/v2/models/mlp/infer", "/v1/models/mlp:classify", "/v1/models/mlp:classify?top=10&invert=always"}
	f.Fuzz(func(t *testing.T, endpoint uint8, contentType string, body []byte) {
		req := httptest.NewRequest("POST", paths[int(endpoint)%len(paths)], bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		fuzzServer.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q %q: %s", rec.Code, contentType, truncate(body), rec.Body.Bytes())
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("status %d: body is not JSON: %s", rec.Code, truncate(rec.Body.Bytes()))
		}
		if rec.Code >= 400 {
			var e errorJSON
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("status %d: %s is not a JSON error", rec.Code, rec.Body.Bytes())
			}
		}
	})
}

// TestJSONNumber checks jsonNumber against encoding/json's grammar for a
// number token (no surrounding space, which json.Valid allows).
func TestJSONNumber(t *testing.T) {
	for _, tok := range []string{"0", "-0", "7", "12", "-3.25", "0.5", "1e5", "1E+5", "2.5e-3", "", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1.5.2", "0x1", "NaN", "1 ", "--1"} {
		if got, want := jsonNumber([]byte(tok)), json.Valid([]byte(tok)) && strings.TrimSpace(tok) == tok && tok != "" && (tok[0] == '-' || ('0' <= tok[0] && tok[0] <= '9')); got != want {
			t.Errorf("jsonNumber(%q) = %v, want %v", tok, got, want)
		}
	}
}
