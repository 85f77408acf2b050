package saving

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/onnx"
)

// The metadata_props keys under which ExportONNX records a model's Meta,
// each value JSON encoded as in config.json: MetaClassNames a list of
// strings, MetaPreprocessing an object {"rescale": …, "polarity": …},
// MetaTabular a table's fitted pipeline (preprocessing.Pipeline's JSON).
const (
	MetaClassNames    = "class_names"
	MetaPreprocessing = "preprocessing"
	MetaTabular       = "tabular"
)

// ONNXOptions are ExportONNX's settings; the zero value writes opset 17
// with no metadata.
type ONNXOptions struct {
	// Opset is the ONNX operator set, onnx.DefaultOpset (17) when zero.
	Opset int
	// Meta is recorded in the file's metadata_props (see MetaClassNames
	// and MetaPreprocessing); what is empty in it is left out.
	Meta Meta
}

// ExportONNX writes the inference graph of the built model m to w as an
// ONNX model, with its class names and preprocessing as metadata: a thin
// wrapper around onnx.Export, whose documentation says how each layer
// translates. The graph's input is "input", (N, m.InputShape()...) float32,
// its output "probabilities".
func ExportONNX(m *tailor.Model, w io.Writer, opts ONNXOptions) error {
	md := map[string]string{}
	if len(opts.Meta.ClassNames) > 0 {
		b, err := json.Marshal(opts.Meta.ClassNames)
		if err != nil {
			return fmt.Errorf("saving: class names: %w", err)
		}
		md[MetaClassNames] = string(b)
	}
	if p := opts.Meta.Preprocessing; p != nil {
		b, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("saving: preprocessing: %w", err)
		}
		md[MetaPreprocessing] = string(b)
	}
	if p := opts.Meta.Tabular; p != nil {
		b, err := tabularJSON(p)
		if err != nil {
			return fmt.Errorf("saving: ExportONNX: %w", err)
		}
		md[MetaTabular] = string(b)
	}
	if m != nil && m.Built() { // onnx.Export explains an unbuilt model
		if err := checkMeta(opts.Meta, m); err != nil {
			return fmt.Errorf("saving: ExportONNX: %w", err)
		}
	}
	return onnx.Export(w, m, onnx.Options{Opset: opts.Opset, Metadata: md})
}
