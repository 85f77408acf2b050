package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/onnx"
	"github.com/tailor-ml/tailor/saving"
)

func runExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export", "MODEL.tailor -o MODEL.onnx [--opset 17]")
	out := fs.String("o", "", "the ONNX file to write (default: MODEL with the extension .onnx)")
	opset := fs.Int("opset", onnx.DefaultOpset, fmt.Sprintf("the ONNX operator set, %d to %d", onnx.MinOpset, onnx.MaxOpset))
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fs, "want exactly one model file")
	}
	if *opset < onnx.MinOpset || *opset > onnx.MaxOpset {
		return usageError(fs, fmt.Sprintf("--opset %d: want %d to %d", *opset, onnx.MinOpset, onnx.MaxOpset))
	}
	in := pos[0]
	flag := "-o"
	if *out == "" {
		*out = strings.TrimSuffix(in, filepath.Ext(in)) + ".onnx"
		flag = "the ONNX file (-o, by default beside the model)"
	}
	if err := checkOutput(flag, *out, in); err != nil {
		return err
	}
	model, meta, err := saving.Load(in)
	if err != nil {
		return err
	}
	opts := saving.ONNXOptions{Opset: *opset, Meta: meta}
	if err := atomicfile.Write(*out, func(w io.Writer) error { return saving.ExportONNX(model, w, opts) }); err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Exported %s to %s (%d bytes, ONNX opset %d): input %q float32 %s, output %q %s\n",
		in, *out, st.Size(), *opset, onnx.InputName, batchDims(model.InputShape()), onnx.OutputName, batchDims(model.OutputShape()))
	return nil
}

// batchDims writes a shape with the dynamic batch axis first: [N, 28, 28].
func batchDims(shape []int) string {
	parts := []string{"N"}
	for _, d := range shape {
		parts = append(parts, fmt.Sprint(d))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
