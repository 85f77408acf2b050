package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/tailor-ml/tailor/tensor"
)

// The tensor names of the protocol's metadata and responses, as the ONNX
// export names them (see package onnx).
const (
	InputName  = "input"
	OutputName = "probabilities"
)

// The datatypes an infer request's input may have.
const (
	datatypeFP32  = "FP32"
	datatypeUINT8 = "UINT8"
)

// v2Request is the protocol's $inference_request.
type v2Request struct {
	ID         *string           `json:"id"`
	Parameters json.RawMessage   `json:"parameters"`
	Inputs     firstOf[v2Input]  `json:"inputs"`
	Outputs    firstOf[v2Output] `json:"outputs"`
}

// v2Input is the protocol's $request_input.
type v2Input struct {
	Name       string          `json:"name"`
	Shape      shapeDims       `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters json.RawMessage `json:"parameters"`
	Data       json.RawMessage `json:"data"`
}

// firstOf is a JSON array of which only the first element is decoded,
// and the others counted: a model has one input and one output, and a
// body of "{}"s, three bytes each, would otherwise cost a struct of a
// hundred bytes each.
type firstOf[T any] struct {
	first T
	n     int
}

// UnmarshalJSON decodes the first element of the array b into l.first
// and counts them all into l.n; any other value decodes as into a []T
// (null to nothing, the rest a type error).
func (l *firstOf[T]) UnmarshalJSON(b []byte) error {
	if !isArray(b) {
		var all []T // null, or a JSON type error naming the field
		return json.Unmarshal(b, &all)
	}
	var err error
	l.n = eachElement(b, func(i int, elem []byte) {
		if i == 0 {
			err = json.Unmarshal(elem, &l.first)
		}
	})
	return err
}

// maxShapeDims is the most dimensions an input's shape is decoded with:
// a model's inputs have at most 8 axes (saving.Load), and the batch one.
const maxShapeDims = 16

// shapeDims is an input's shape: its dimensions (nil beyond
// maxShapeDims of them) and their count.
type shapeDims struct {
	dims []int64
	n    int
}

// UnmarshalJSON counts the dimensions of the array b into s.n and decodes
// them into s.dims unless there are more than maxShapeDims.
func (s *shapeDims) UnmarshalJSON(b []byte) error {
	if isArray(b) {
		if s.n = eachElement(b, func(int, []byte) {}); s.n > maxShapeDims {
			return nil
		}
	}
	return json.Unmarshal(b, &s.dims)
}

// isArray reports whether the JSON value b is an array.
func isArray(b []byte) bool {
	p := skipSpace(b, 0)
	return p < len(b) && b[p] == '['
}

// eachElement calls visit with each element of the JSON array b, which
// encoding/json has checked is valid, and returns their count.
func eachElement(b []byte, visit func(i int, elem []byte)) int {
	p := skipSpace(b, 0) + 1 // past '['
	n, depth, start := 0, 0, -1
	end := func(at int) {
		if start >= 0 {
			visit(n, bytes.TrimSpace(b[start:at]))
			n++
		}
		start = -1
	}
	for ; p < len(b); p++ {
		switch c := b[p]; c {
		case ' ', '\t', '\n', '\r':
		case '"':
			if start < 0 {
				start = p
			}
			for p++; p < len(b) && b[p] != '"'; p++ {
				if b[p] == '\\' {
					p++
				}
			}
		case '[', '{':
			if start < 0 {
				start = p
			}
			depth++
		case ']', '}':
			if depth == 0 {
				end(p)
				return n
			}
			depth--
		case ',':
			if depth == 0 {
				end(p)
			}
		default:
			if start < 0 {
				start = p
			}
		}
	}
	return n
}

// v2Output is the protocol's $request_output. Of its parameters only
// Triton's "classification" matters (binary_data is answered in JSON):
// the others are not kept, so that a request of many costs nothing.
type v2Output struct {
	Name       string `json:"name"`
	Parameters *struct {
		Classification json.RawMessage `json:"classification"`
	} `json:"parameters"`
}

// signature is what a model accepts: its examples' shape (without the
// batch axis), the most examples a request may carry, and how UINT8
// pixels become its inputs (nil for a tabular model, which takes only
// FP32 features).
type signature struct {
	input       tensor.Shape
	output      tensor.Shape
	maxExamples int
	// maxOutputs bounds the values an answer holds: as many as a body
	// of Options.MaxBodyBytes can send, two bytes each.
	maxOutputs int
	uint8Table *[256]float32
}

// inferInput is a decoded infer request: n examples, their features in one
// row-major slice scaled as the model expects.
type inferInput struct {
	id *string
	n  int
	x  []float32
}

// decodeInfer checks an infer request body against the model's signature
// and returns its examples. Every error is a 400 naming the field and what
// was expected.
func decodeInfer(body []byte, sig *signature) (*inferInput, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("request body is empty: want a JSON inference request with \"inputs\"")
	}
	var req v2Request
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, badRequest("%s", jsonProblem(err))
	}
	if req.Inputs.n != 1 {
		return nil, badRequest("inputs: %d tensors; want one, named %q, of shape %s", req.Inputs.n, InputName, sig.shapeText())
	}
	if req.Outputs.n > 1 {
		return nil, badRequest("outputs: %d tensors; the model has one output, %q: list it once, or leave outputs out", req.Outputs.n, OutputName)
	}
	if req.Outputs.n == 1 {
		i, o := 0, &req.Outputs.first
		if o.Name != OutputName {
			return nil, badRequest("outputs[%d].name %q: the model has one output, %q", i, o.Name, OutputName)
		}
		// Triton's classification extension would answer BYTES
		// "score:index:label" strings; answering the probabilities instead
		// would hand the client the wrong kind of tensor. (binary_data,
		// which Triton's clients send by default, is answered in JSON,
		// which they read.)
		if o.Parameters != nil && o.Parameters.Classification != nil {
			return nil, badRequest("outputs[%d].parameters.classification: the classification extension is not supported (GET /v2 lists none): leave it out and take the top classes of %q, or POST an image to /v1/models/{name}:classify", i, OutputName)
		}
	}
	in := &req.Inputs.first
	if in.Name != InputName {
		return nil, badRequest("inputs[0].name %q: want %q", in.Name, InputName)
	}
	if in.Datatype != datatypeFP32 && (in.Datatype != datatypeUINT8 || sig.uint8Table == nil) {
		return nil, badRequest("inputs[0].datatype %q: want %s", in.Datatype, sig.datatypesText())
	}
	if in.Shape.n > maxShapeDims {
		return nil, badRequest("inputs[0].shape: %d dimensions; want %s", in.Shape.n, sig.shapeText())
	}
	shape := in.Shape.dims
	if !sig.fits(shape) {
		return nil, badRequest("inputs[0].shape %v: want %s", shape, sig.shapeText())
	}
	n := int(shape[0])
	// A model's outputs may outnumber its inputs many times (a
	// decoder): the answer, not only the request, is bounded.
	if out := n * sig.output.Size(); out > sig.maxOutputs {
		fits := sig.maxOutputs / sig.output.Size()
		if fits == 0 {
			return nil, statusError(http.StatusRequestEntityTooLarge, "inputs[0].shape %v: one example's %d outputs are more than the %d values an answer may hold (half of Options.MaxBodyBytes, --max-body)", shape, sig.output.Size(), sig.maxOutputs)
		}
		return nil, statusError(http.StatusRequestEntityTooLarge, "inputs[0].shape %v: %d examples of %d outputs make %d values, more than the %d an answer may hold (half of Options.MaxBodyBytes): send at most %d", shape, n, sig.output.Size(), out, sig.maxOutputs, fits)
	}
	size := n * sig.input.Size()
	if len(in.Data) == 0 || string(in.Data) == "null" {
		return nil, badRequest("inputs[0].data is missing: want %d numbers for shape %v", size, shape)
	}
	// Each value takes at least two bytes, a digit and a separator: refuse
	// before allocating for them data too short to hold them.
	if most := len(in.Data)/2 + 1; size > most {
		return nil, badRequest("inputs[0].data: %d bytes hold at most %d numbers; want an array of the %d of shape %v", len(in.Data), most, size, shape)
	}
	x := make([]float32, size)
	visit := func(i int, tok []byte) (err error) {
		x[i], err = parseFP32(tok)
		return err
	}
	if in.Datatype == datatypeUINT8 {
		visit = func(i int, tok []byte) error {
			v, err := parseUint8(tok)
			x[i] = sig.uint8Table[v]
			return err
		}
	}
	count, err := scanNumbers(in.Data, shape, visit)
	if err != nil {
		if msg := err.Error(); strings.HasPrefix(msg, "data[") {
			return nil, badRequest("inputs[0].%s", msg)
		}
		return nil, badRequest("inputs[0].data: %v", err)
	}
	if count != size {
		return nil, badRequest("inputs[0].data: %d values; shape %v holds %d", count, shape, size)
	}
	return &inferInput{id: req.ID, n: n, x: x}, nil
}

// fits reports whether an input's shape is [N, example shape...] with N
// from 1 to maxExamples.
func (s *signature) fits(shape []int64) bool {
	if len(shape) != 1+len(s.input) || shape[0] < 1 || shape[0] > int64(s.maxExamples) {
		return false
	}
	for i, d := range s.input {
		if shape[1+i] != int64(d) {
			return false
		}
	}
	return true
}

// datatypesText describes the datatypes the input accepts.
func (s *signature) datatypesText() string {
	if s.uint8Table == nil {
		return fmt.Sprintf("%q: the model was trained on a table, and takes the features its saved preprocessing makes of a row (the server does not apply it)", datatypeFP32)
	}
	return fmt.Sprintf("%q (scaled values) or %q (raw pixels 0 to 255)", datatypeFP32, datatypeUINT8)
}

// shapeText describes the accepted shapes: [N, 28, 28] with N from 1 to 256.
func (s *signature) shapeText() string {
	var b strings.Builder
	b.WriteString("[N")
	for _, d := range s.input {
		fmt.Fprintf(&b, ", %d", d)
	}
	fmt.Fprintf(&b, "] with N from 1 to %d", s.maxExamples)
	return b.String()
}

// jsonProblem turns encoding/json's errors into the protocol's words.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("request body is not valid JSON: %v (at byte %d)", syn, syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the request"
		}
		return fmt.Sprintf("request body: %s is a JSON %s; want %s", field, typ.Value, kindName(typ.Type))
	}
	return "request body: " + err.Error()
}

// kindName names a Go type as JSON does.
func kindName(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a JSON value"
		}
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return kindName(t.Elem())
	}
	return t.String()
}

// appendInferResponse appends the protocol's $inference_response for n
// examples whose outputs (of shape out each) are probs.
func appendInferResponse(b []byte, model, version string, id *string, n int, out tensor.Shape, probs []float32) []byte {
	// Strings in JSON's quoting, not Go's (strconv.Quote writes \x7f).
	str := func(b []byte, s string) []byte {
		q, _ := json.Marshal(s) // a string always marshals
		return append(b, q...)
	}
	b = str(append(b, `{"model_name":`...), model)
	b = str(append(b, `,"model_version":`...), version)
	if id != nil {
		b = str(append(b, `,"id":`...), *id)
	}
	b = append(b, `,"outputs":[{"name":"`+OutputName+`","datatype":"FP32","shape":[`...)
	b = strconv.AppendInt(b, int64(n), 10)
	for _, d := range out {
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(d), 10)
	}
	b = append(b, `],"data":[`...)
	for i, v := range probs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
	}
	return append(b, "]}]}\n"...)
}

// metadataTensor is the protocol's $metadata_tensor.
type metadataTensor struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

// modelMetadata is the protocol's $metadata_model_response, with
// Tailor's own parameters: the class names, the datatypes the input
// accepts and, for an image model, how UINT8 pixels are scaled.
type modelMetadata struct {
	Name       string           `json:"name"`
	Versions   []string         `json:"versions"`
	Platform   string           `json:"platform"`
	Inputs     []metadataTensor `json:"inputs"`
	Outputs    []metadataTensor `json:"outputs"`
	Parameters metadataParams   `json:"parameters"`
}

type metadataParams struct {
	// ClassNames names the classes; a single output is the probability
	// of the second of two.
	ClassNames     []string `json:"class_names"`
	InputDatatypes []string `json:"input_datatypes"`
	UINT8Rescale   float64  `json:"uint8_rescale,omitempty"`
	Polarity       string   `json:"polarity,omitempty"`
	// FeatureNames are a tabular model's inputs: the features its saved
	// preprocessing makes of a table's row, which the server does not
	// apply.
	FeatureNames []string `json:"feature_names,omitempty"`
}

// variable returns the shape with a leading -1, the protocol's variable
// batch dimension.
func variable(s tensor.Shape) []int {
	return append([]int{-1}, s...)
}
