package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net/textproto"
	"strings"
)

// kind is one kind of request: how to build it and the status that
// answers it.
type kind struct {
	name        string
	valid       bool
	weight      int // relative frequency among the valid kinds
	method      string
	path        string // with %s for the model's name
	contentType string
	status      int                              // the status that must answer it
	body        func(img int) []byte             // the body for pool image img
	check       func(body []byte, img int) error // of a 200's body; nil: any JSON
}

// requestSet is every kind of request, with the bodies for a pool of
// images built once, so that the clients spend their time on HTTP.
type requestSet struct {
	model     string
	valid     []kind
	malformed []kind
	total     int // sum of the valid kinds' weights
}

// newRequestSet builds the requests for images (28×28 gray, 0–255) and a
// server whose body limit is maxBody bytes.
func newRequestSet(model string, images [][]uint8, maxBody int64) *requestSet {
	n := len(images)
	uint8Body := make([][]byte, n)
	fp32Body := make([][]byte, n)
	batchBody := make([][]byte, n)
	pngs := make([][]byte, n)
	forms := make([][]byte, n)
	formType := ""
	for i, px := range images {
		uint8Body[i] = inferJSON("UINT8", 1, ints(px))
		f := make([]float32, len(px))
		for j, v := range px {
			f[j] = float32(v) / 255
		}
		fp32Body[i] = inferJSON("FP32", 1, f)
		var batch []int
		for k := range 8 {
			batch = append(batch, ints(images[(i+k)%n])...)
		}
		batchBody[i] = inferJSON("UINT8", 8, batch)
		pngs[i] = encodePNG(px, 28, 28)
		formType, forms[i] = multipartBody("image", "image/png", pngs[i])
	}
	at := func(bodies [][]byte) func(int) []byte { return func(i int) []byte { return bodies[i%n] } }
	fixed := func(b []byte) func(int) []byte { return func(int) []byte { return b } }
	inferPath := "/v2/models/%s/infer"
	classifyPath := "/v1/models/%s:classify"
	zeros := strings.Repeat(",0", 783)
	bomb := encodePNG(make([]uint8, 6000*6000), 6000, 6000) // 36 megapixels, 35 KB
	textFormType, textForm := multipartBody("image", "text/plain", []byte("not an image"))
	noFileType, noFile := func() (string, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("comment", "no file here")
		mw.Close()
		return mw.FormDataContentType(), buf.Bytes()
	}()
	s := &requestSet{model: model}
	s.valid = []kind{
		{name: "infer UINT8 ×1", valid: true, weight: 35, method: "POST", path: inferPath, contentType: "application/json", status: 200, body: at(uint8Body), check: inferCheck(1)},
		{name: "infer FP32 ×1", valid: true, weight: 25, method: "POST", path: inferPath, contentType: "application/json", status: 200, body: at(fp32Body), check: inferCheck(1)},
		{name: "infer UINT8 ×8", valid: true, weight: 10, method: "POST", path: inferPath, contentType: "application/json", status: 200, body: at(batchBody), check: inferCheck(8)},
		{name: "classify PNG", valid: true, weight: 15, method: "POST", path: classifyPath, contentType: "image/png", status: 200, body: at(pngs), check: classifyCheck},
		{name: "classify multipart", valid: true, weight: 15, method: "POST", path: classifyPath, contentType: formType, status: 200, body: at(forms), check: classifyCheck},
	}
	s.malformed = []kind{
		{name: "bad JSON", method: "POST", path: inferPath, contentType: "application/json", status: 400, body: fixed([]byte(`{"inputs": [{"name": "input",`))},
		{name: "wrong shape", method: "POST", path: inferPath, contentType: "application/json", status: 400, body: fixed([]byte(`{"inputs":[{"name":"input","shape":[1,784],"datatype":"UINT8","data":[0` + zeros + `]}]}`))},
		{name: "wrong datatype", method: "POST", path: inferPath, contentType: "application/json", status: 400, body: fixed([]byte(`{"inputs":[{"name":"input","shape":[1,28,28],"datatype":"FP64","data":[0` + zeros + `]}]}`))},
		{name: "wrong input name", method: "POST", path: inferPath, contentType: "application/json", status: 400, body: fixed([]byte(`{"inputs":[{"name":"x","shape":[1,28,28],"datatype":"UINT8","data":[0` + zeros + `]}]}`))},
		{name: "too few values", method: "POST", path: inferPath, contentType: "application/json", status: 400, body: fixed([]byte(`{"inputs":[{"name":"input","shape":[1,28,28],"datatype":"UINT8","data":[0,1,2]}]}`))},
		{name: "UINT8 out of range", method: "POST", path: inferPath, contentType: "application/json", status: 400, body: fixed([]byte(`{"inputs":[{"name":"input","shape":[1,28,28],"datatype":"UINT8","data":[300` + zeros + `]}]}`))},
		{name: "string values", method: "POST", path: inferPath, contentType: "application/json", status: 400, body: fixed([]byte(`{"inputs":[{"name":"input","shape":[1,28,28],"datatype":"FP32","data":["0"` + zeros + `]}]}`))},
		{name: "empty body", method: "POST", path: inferPath, contentType: "application/json", status: 400, body: fixed(nil)},
		{name: "oversized body", method: "POST", path: inferPath, contentType: "application/json", status: 413, body: fixed(bytes.Repeat([]byte(" "), int(maxBody)+1024))},
		{name: "wrong content type", method: "POST", path: inferPath, contentType: "text/plain", status: 415, body: at(uint8Body)},
		{name: "unknown model", method: "POST", path: "/v2/models/no-such-model/infer", contentType: "application/json", status: 404, body: at(uint8Body)},
		{name: "unknown path", method: "GET", path: "/v2/models/%s/explain", status: 404, body: fixed(nil)},
		{name: "wrong method", method: "GET", path: inferPath, status: 405, body: fixed(nil)},
		{name: "non-image upload", method: "POST", path: classifyPath, contentType: "image/png", status: 400, body: fixed([]byte("these bytes are no image at all"))},
		{name: "truncated PNG", method: "POST", path: classifyPath, contentType: "image/png", status: 400, body: func(i int) []byte { p := pngs[i%n]; return p[:len(p)/2] }},
		{name: "image too large", method: "POST", path: classifyPath, contentType: "image/png", status: 413, body: fixed(bomb)},
		{name: "upload content type", method: "POST", path: classifyPath, contentType: "text/csv", status: 415, body: at(pngs)},
		{name: "multipart text part", method: "POST", path: classifyPath, contentType: textFormType, status: 415, body: fixed(textForm)},
		{name: "multipart no file", method: "POST", path: classifyPath, contentType: noFileType, status: 400, body: fixed(noFile)},
		{name: "classify bad top", method: "POST", path: classifyPath + "?top=99", contentType: "image/png", status: 400, body: at(pngs)},
		{name: "classify unknown model", method: "POST", path: "/v1/models/no-such-model:classify", contentType: "image/png", status: 404, body: at(pngs)},
	}
	for _, k := range s.valid {
		s.total += k.weight
	}
	return s
}

// pick returns a request kind: malformed with probability malformed
// (cycling through every malformed kind in turn, from next), valid
// otherwise by weight.
func (s *requestSet) pick(rng *rand.Rand, malformed float64, next *int) *kind {
	if rng.Float64() < malformed {
		k := &s.malformed[*next%len(s.malformed)]
		*next++
		return k
	}
	r := rng.IntN(s.total)
	for i := range s.valid {
		if r < s.valid[i].weight {
			return &s.valid[i]
		}
		r -= s.valid[i].weight
	}
	panic("unreachable")
}

func ints(px []uint8) []int {
	out := make([]int, len(px))
	for i, v := range px {
		out[i] = int(v)
	}
	return out
}

func inferJSON(datatype string, n int, data any) []byte {
	b, err := json.Marshal(map[string]any{
		"inputs": []any{map[string]any{"name": "input", "shape": []int{n, 28, 28}, "datatype": datatype, "data": data}},
	})
	if err != nil {
		panic(err) // ints and float32s always marshal
	}
	return b
}

func encodePNG(px []uint8, w, h int) []byte {
	g := image.NewGray(image.Rect(0, 0, w, h))
	copy(g.Pix, px)
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		panic(err) // encoding into memory does not fail
	}
	return buf.Bytes()
}

func multipartBody(field, contentType string, b []byte) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary("tailor-loadtest-boundary"); err != nil {
		panic(err) // a fixed, valid boundary
	}
	hdr := textproto.MIMEHeader{}
	hdr.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="upload"`, field))
	hdr.Set("Content-Type", contentType)
	pw, _ := mw.CreatePart(hdr)
	pw.Write(b)
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// inferCheck checks a v2 response of n examples: ten probabilities each,
// summing to 1.
func inferCheck(n int) func([]byte, int) error {
	return func(body []byte, _ int) error {
		var res struct {
			Outputs []struct {
				Name  string    `json:"name"`
				Shape []int     `json:"shape"`
				Data  []float64 `json:"data"`
			} `json:"outputs"`
		}
		if err := json.Unmarshal(body, &res); err != nil {
			return err
		}
		if len(res.Outputs) != 1 || res.Outputs[0].Name != "probabilities" || len(res.Outputs[0].Data) != n*10 {
			return fmt.Errorf("response %.200s: want %d×10 probabilities", body, n)
		}
		return sumsToOne(res.Outputs[0].Data[:10])
	}
}

func classifyCheck(body []byte, _ int) error {
	var res struct {
		Probabilities []float64 `json:"probabilities"`
		Top           []struct {
			Class int `json:"class"`
		} `json:"top"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return err
	}
	if len(res.Probabilities) != 10 || len(res.Top) == 0 {
		return fmt.Errorf("response %.200s: want 10 probabilities and the top classes", body)
	}
	return sumsToOne(res.Probabilities)
}

func sumsToOne(p []float64) error {
	s := 0.0
	for _, v := range p {
		s += v
	}
	if s < 0.999 || s > 1.001 {
		return fmt.Errorf("probabilities sum to %v", s)
	}
	return nil
}
