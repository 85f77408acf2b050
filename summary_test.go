package tailor_test

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// The goldens below are what Keras 2.9's print_summary prints, trailing
// spaces included: rows padded to 65 columns, a blank row after each
// layer, and a field too long for its column continued on the next line.

func TestSummaryMLP(t *testing.T) {
	m := tailor.Sequential(
		layers.Flatten(28, 28),
		layers.Dense(128, activations.ReLU),
		layers.Dense(10, activations.Softmax),
	)
	want := strings.Join([]string{
		"Model: \"sequential\"",
		"_________________________________________________________________",
		" Layer (type)                Output Shape              Param #   ",
		"=================================================================",
		" flatten (Flatten)           (None, 784)               0         ",
		"                                                                 ",
		" dense (Dense)               (None, 128)               100480    ",
		"                                                                 ",
		" dense_1 (Dense)             (None, 10)                1290      ",
		"                                                                 ",
		"=================================================================",
		"Total params: 101,770",
		"Trainable params: 101,770",
		"Non-trainable params: 0",
		"_________________________________________________________________",
		"",
	}, "\n")
	var b strings.Builder
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != want {
		t.Errorf("Summary:\n%s\nwant:\n%s", got, want)
	}
	if !m.Built() {
		t.Error("Summary did not build the model from Flatten's input shape")
	}
	if tr, nt := m.CountParams(); tr != 101770 || nt != 0 {
		t.Errorf("CountParams() = %d, %d; want 101770, 0", tr, nt)
	}
}

// fakeLayer is an identity layer of any type name and parameters, for
// what the summary and the naming do with them.
type fakeLayer struct {
	typ, name string
	weights   []fakeWeight // declared by Build, 4 values each
	params    []*params.Param
}

type fakeWeight struct {
	name      string
	trainable bool
}

func (f *fakeLayer) Type() string        { return f.typ }
func (f *fakeLayer) Name() string        { return f.name }
func (f *fakeLayer) SetName(name string) { f.name = name }
func (f *fakeLayer) Build(in tensor.Shape, w *params.Builder) (tensor.Shape, error) {
	f.params = nil
	for _, fw := range f.weights {
		f.params = append(f.params, w.Add(fw.name, params.Zeros, fw.trainable, 4))
	}
	return in, nil
}
func (f *fakeLayer) NewState() layers.State                                          { return nil }
func (f *fakeLayer) Forward(_ layers.State, x *tensor.Tensor, _ bool) *tensor.Tensor { return x }
func (f *fakeLayer) Backward(_ layers.State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if needInputGrad {
		return dy
	}
	return nil
}
func (f *fakeLayer) Params() []*params.Param { return f.params }
func (f *fakeLayer) Config() map[string]any  { return map[string]any{"name": f.name} }

func fake(typ string) *fakeLayer { return &fakeLayer{typ: typ} }

// batchNorm is a fake BatchNormalization over 4 features: gamma and beta
// trainable, the moving statistics not.
func batchNorm() *fakeLayer {
	return &fakeLayer{typ: "BatchNormalization", weights: []fakeWeight{{"gamma", true}, {"beta", true}, {"moving_mean", false}, {"moving_variance", false}}}
}

func TestSummaryLongNames(t *testing.T) {
	m := tailor.Sequential(fake("MaxPooling2D"), batchNorm(), layers.Dense(2, ""))
	if err := m.Build(4); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"Model: \"sequential\"",
		"_________________________________________________________________",
		" Layer (type)                Output Shape              Param #   ",
		"=================================================================",
		" max_pooling2d (MaxPooling2D  (None, 4)                0         ",
		" )                                                               ",
		"                                                                 ",
		" batch_normalization (BatchN  (None, 4)                16        ",
		" ormalization)                                                   ",
		"                                                                 ",
		" dense (Dense)               (None, 2)                 10        ",
		"                                                                 ",
		"=================================================================",
		"Total params: 26",
		"Trainable params: 18",
		"Non-trainable params: 8",
		"_________________________________________________________________",
		"",
	}, "\n")
	var b strings.Builder
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != want {
		t.Errorf("Summary:\n%s\nwant:\n%s", got, want)
	}
}

func TestSummaryErrors(t *testing.T) {
	// No declared input shape and no data yet: nothing to summarise.
	m := tailor.Sequential(layers.Dense(3, ""))
	if err := m.Summary(new(strings.Builder)); err == nil {
		t.Error("Summary of a model with an unknown input shape succeeded")
	}
	if err := tailor.Sequential().Summary(new(strings.Builder)); err == nil {
		t.Error("Summary of a model without layers succeeded")
	}
	built := tailor.Sequential(layers.Flatten(2, 2))
	if err := built.Summary(failingWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Summary to a failing writer: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

// ExampleModel_Summary prints the tutorial's model. Keras pads each row
// with spaces to 65 columns; they are trimmed here to keep the example
// readable (TestSummaryMLP checks them).
func ExampleModel_Summary() {
	model := tailor.Sequential(
		layers.Flatten(28, 28),
		layers.Dense(128, activations.ReLU),
		layers.Dense(10, activations.Softmax),
	)
	var b strings.Builder
	if err := model.Summary(&b); err != nil {
		fmt.Println(err)
		return
	}
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		fmt.Fprintln(os.Stdout, strings.TrimRight(sc.Text(), " "))
	}
	// Output:
	// Model: "sequential"
	// _________________________________________________________________
	//  Layer (type)                Output Shape              Param #
	// =================================================================
	//  flatten (Flatten)           (None, 784)               0
	//
	//  dense (Dense)               (None, 128)               100480
	//
	//  dense_1 (Dense)             (None, 10)                1290
	//
	// =================================================================
	// Total params: 101,770
	// Trainable params: 101,770
	// Non-trainable params: 0
	// _________________________________________________________________
}

// TestSummaryUnicodeName: column widths count characters, as Keras's
// print_row counts them in a Python str: a layer name with accents is cut
// between characters (it was cut inside one, leaving invalid UTF-8) and its
// row stays aligned. The lines are print_row's for this row.
func TestSummaryUnicodeName(t *testing.T) {
	d := layers.Dense(3, activations.Softmax)
	d.SetName("décodeur_très_élégant_ünï")
	m := tailor.Sequential(d)
	if err := m.Build(4); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	want := " décodeur_très_élégant_ünï (  (None, 3)                15        \n" +
		" Dense)                                                          \n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("Summary:\n%s\nwant the rows:\n%s", b.String(), want)
	}
}
