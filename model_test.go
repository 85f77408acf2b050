package tailor_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/tensor"
)

// blobs returns n examples of 4 features in 3 classes: class k is centred
// on 2·e_k with N(0, 0.25²) noise, so a small network separates them
// almost perfectly.
func blobs(n int, seed uint64) (x, y *tensor.Tensor) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x, y = tensor.New(n, 4), tensor.New(n)
	for i := 0; i < n; i++ {
		k := rng.IntN(3)
		y.Data[i] = float32(k)
		row := x.Row(i)
		for j := range row {
			row[j] = float32(0.25 * rng.NormFloat64())
		}
		row[k] += 2
	}
	return x, y
}

// newClassifier returns an unbuilt 4 → 16 → 3 classifier compiled with
// Adam (learning rate 0.01), sparse cross-entropy and accuracy. It builds
// from the first data it sees.
func newClassifier(t *testing.T, seed uint64) *tailor.Model {
	t.Helper()
	m := tailor.Sequential(layers.Dense(16, activations.ReLU), layers.Dense(3, activations.Softmax))
	if err := m.SetSeed(seed); err != nil {
		t.Fatal(err)
	}
	opt, err := optimizers.AdamWith(0.01, 0.9, 0.999, 1e-7)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(opt, losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	return m
}

// ds pairs examples with their targets, or returns nil (logging why) when
// datasets.FromTensors refuses them, for the tests of bad input.
func ds(t *testing.T, x, y *tensor.Tensor) datasets.Dataset {
	t.Helper()
	d, err := datasets.FromTensors(x, y)
	if err != nil {
		t.Logf("no dataset: %v", err)
		return nil
	}
	return d
}

func fit(t *testing.T, m *tailor.Model, x, y *tensor.Tensor, opts tailor.FitOptions) *tailor.History {
	t.Helper()
	opts.Verbose = tailor.Silent
	h, err := m.Fit(context.Background(), ds(t, x, y), opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func predict(t *testing.T, m *tailor.Model, x *tensor.Tensor, batch int) *tensor.Tensor {
	t.Helper()
	p, err := m.Predict(context.Background(), x, tailor.PredictOptions{BatchSize: batch})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// weights copies every parameter value of m.
func weights(m *tailor.Model) [][]float32 {
	var w [][]float32
	for _, p := range m.Params() {
		w = append(w, slices.Clone(p.Value.Data))
	}
	return w
}

func sameWeights(a, b [][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestLayerNames(t *testing.T) {
	named := layers.Dense(4, "")
	named.SetName("dense_1")
	tests := []struct {
		name   string
		layers []layers.Layer
		want   []string
	}{
		{"tutorial", []layers.Layer{layers.Flatten(28, 28), layers.Dense(128, "relu"), layers.Dense(10, "softmax")}, []string{"flatten", "dense", "dense_1"}},
		{"three dense", []layers.Layer{layers.Dense(1, ""), layers.Dense(1, ""), layers.Dense(1, "")}, []string{"dense", "dense_1", "dense_2"}},
		{"a name taken", []layers.Layer{named, layers.Dense(1, ""), layers.Dense(1, "")}, []string{"dense_1", "dense", "dense_2"}},
		{"other types", []layers.Layer{fake("MaxPooling2D"), fake("MaxPooling2D"), fake("ReLU"), fake("BatchNormalization")}, []string{"max_pooling2d", "max_pooling2d_1", "re_lu", "batch_normalization"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tailor.Sequential(tt.layers...)
			var got []string
			for _, l := range m.Layers() {
				got = append(got, l.Name())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("names %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSeedReproducible trains two models built from the same seed on the
// same data with the same Fit seed: their weights and predictions must be
// identical to the bit. Another seed for either must change them.
func TestSeedReproducible(t *testing.T) {
	x, y := blobs(200, 1)
	opts := tailor.FitOptions{Epochs: 3, BatchSize: 16, Seed: 7}
	run := func(modelSeed, fitSeed uint64) (*tailor.Model, [][]float32, *tailor.History) {
		m := newClassifier(t, modelSeed)
		if err := m.Build(4); err != nil {
			t.Fatal(err)
		}
		initial := weights(m)
		o := opts
		o.Seed = fitSeed
		h := fit(t, m, x, y, o)
		return m, initial, h
	}
	a, aInit, ha := run(7, 7)
	b, bInit, hb := run(7, 7)
	if !sameWeights(aInit, bInit) {
		t.Fatal("SetSeed(7) twice gave different initial weights")
	}
	if !sameWeights(weights(a), weights(b)) {
		t.Fatal("the same seeds gave different trained weights")
	}
	if sameWeights(aInit, weights(a)) {
		t.Fatal("Fit did not change the weights")
	}
	if !slices.Equal(ha.History["loss"], hb.History["loss"]) || !slices.Equal(ha.History["accuracy"], hb.History["accuracy"]) {
		t.Errorf("histories differ: %v and %v", ha.History, hb.History)
	}
	if pa, pb := predict(t, a, x, 0), predict(t, b, x, 0); !slices.Equal(pa.Data, pb.Data) {
		t.Error("the same seeds gave different predictions")
	}
	if a.Seed() != 7 {
		t.Errorf("Seed() = %d, want 7", a.Seed())
	}

	c, cInit, _ := run(8, 7)
	if sameWeights(aInit, cInit) || sameWeights(weights(a), weights(c)) {
		t.Error("SetSeed(8) gave the weights of SetSeed(7)")
	}
	d, _, _ := run(7, 8)
	if sameWeights(weights(a), weights(d)) {
		t.Error("Fit with seed 8 trained the weights that seed 7 did: the shuffle ignores the seed")
	}
	if err := a.SetSeed(9); err == nil {
		t.Error("SetSeed after Build succeeded")
	}
}

// TestTrainOnBatchAllocs checks that a training step allocates nothing
// once the buffers have grown to the batch: forward, loss, backward,
// optimizer and metrics.
func TestTrainOnBatchAllocs(t *testing.T) {
	sgd, err := optimizers.SGDWith(0.01, 0.9, true)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		last activations.Activation
		opt  optimizers.Optimizer
		loss losses.Loss
		y    func(b int) *tensor.Tensor
	}{
		// Softmax with cross-entropy takes the fused gradient.
		{"softmax sparse Adam", activations.Softmax, optimizers.Adam(), losses.SparseCategoricalCrossentropy(), func(b int) *tensor.Tensor {
			y := tensor.New(b)
			for i := range y.Data {
				y.Data[i] = float32(i % 10)
			}
			return y
		}},
		// A sigmoid output goes through the loss's own gradient.
		{"sigmoid categorical SGD", activations.Sigmoid, sgd, losses.CategoricalCrossentropy(), func(b int) *tensor.Tensor {
			y := tensor.New(b, 10)
			for i := 0; i < b; i++ {
				y.Row(i)[i%10] = 1
			}
			return y
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const batch = 32
			m := tailor.Sequential(layers.Flatten(28, 28), layers.Dense(128, activations.ReLU), layers.Dense(10, tt.last))
			if err := m.Compile(tt.opt, tt.loss, metrics.Accuracy()); err != nil {
				t.Fatal(err)
			}
			x := tensor.New(batch, 28, 28)
			rng := rand.New(rand.NewPCG(1, 1))
			for i := range x.Data {
				x.Data[i] = rng.Float32()
			}
			y := tt.y(batch)
			var loss float64
			step := func() {
				if loss, err = m.TrainOnBatch(x, y); err != nil {
					t.Fatal(err)
				}
			}
			step() // the warm-up batch allocates the buffers and state
			if n := testing.AllocsPerRun(10, step); n != 0 {
				t.Errorf("a training step allocates %v times", n)
			}
			if math.IsNaN(loss) || loss <= 0 {
				t.Errorf("loss %v", loss)
			}
		})
	}
}

func TestFitLearns(t *testing.T) {
	x, y := blobs(600, 1)
	m := newClassifier(t, 1)
	h := fit(t, m, x, y, tailor.FitOptions{Epochs: 10, BatchSize: 32, Seed: 1})
	if !slices.Equal(h.Epochs, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) || len(h.Seconds) != 10 {
		t.Fatalf("Epochs %v, %d durations; want 0..9 and 10", h.Epochs, len(h.Seconds))
	}
	if keys := sortedKeys(h.History); !slices.Equal(keys, []string{"accuracy", "loss"}) {
		t.Errorf("History keys %v, want accuracy and loss", keys)
	}
	loss, acc := h.History["loss"], h.History["accuracy"]
	if len(loss) != 10 || loss[9] >= loss[0] || acc[9] <= 0.95 {
		t.Errorf("loss %v, accuracy %v: want the loss to fall and the accuracy to end above 0.95", loss, acc)
	}
	tx, ty := blobs(300, 2)
	testLoss, scores, err := m.Evaluate(context.Background(), ds(t, tx, ty), tailor.EvaluateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if scores["accuracy"] <= 0.95 || testLoss > 0.2 {
		t.Errorf("held-out accuracy %v, loss %v; want above 0.95 and below 0.2", scores["accuracy"], testLoss)
	}
}

func sortedKeys(m map[string][]float64) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

type batchCounter struct {
	tailor.NopCallback
	batches int
	onBatch func(epoch, batch int)
}

func (c *batchCounter) OnBatchEnd(_ *tailor.Model, epoch, batch int, _ float64) error {
	c.batches++
	if c.onBatch != nil {
		c.onBatch(epoch, batch)
	}
	return nil
}

// TestValidationSplit holds out the last 20 of 100 examples, whose labels
// contradict the first 80 (class k is labelled k+1). Trained on the first
// 80 alone, the model fits them and gets the last 20 wrong; had any of the
// last 20 leaked into training, or been chosen after shuffling, it could
// do neither, nor would each epoch run 8 batches of 10.
func TestValidationSplit(t *testing.T) {
	x, y := blobs(100, 3)
	for i := 80; i < 100; i++ {
		y.Data[i] = float32((int(y.Data[i]) + 1) % 3)
	}
	m := newClassifier(t, 3)
	counter := &batchCounter{}
	const epochs = 15
	h := fit(t, m, x, y, tailor.FitOptions{Epochs: epochs, BatchSize: 10, Seed: 3, ValidationSplit: 0.2, Callbacks: []tailor.Callback{counter}})
	if counter.batches != 8*epochs {
		t.Errorf("%d batches in %d epochs, want 8 per epoch (80 examples)", counter.batches, epochs)
	}
	if keys := sortedKeys(h.History); !slices.Equal(keys, []string{"accuracy", "loss", "val_accuracy", "val_loss"}) {
		t.Fatalf("History keys %v", keys)
	}
	last := epochs - 1
	if acc, vacc := h.History["accuracy"][last], h.History["val_accuracy"][last]; acc < 0.95 || vacc > 0.2 {
		t.Errorf("accuracy %v and val_accuracy %v: want ≥ 0.95 on the first 80 and ≤ 0.2 on the last 20", acc, vacc)
	}
	// The figures are those of the last 20 examples.
	vl, scores, err := m.Evaluate(context.Background(), ds(t, x.Slice(80, 100), y.Slice(80, 100)), tailor.EvaluateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if vl != h.History["val_loss"][last] || scores["accuracy"] != h.History["val_accuracy"][last] {
		t.Errorf("val_loss %v, val_accuracy %v; Evaluate on the last 20 gives %v, %v", h.History["val_loss"][last], h.History["val_accuracy"][last], vl, scores["accuracy"])
	}

	// Explicit validation data gives the same keys and figures.
	m2 := newClassifier(t, 3)
	h2 := fit(t, m2, x.Slice(0, 80), y.Slice(0, 80), tailor.FitOptions{Epochs: epochs, BatchSize: 10, Seed: 3, ValidationData: ds(t, x.Slice(80, 100), y.Slice(80, 100))})
	if !slices.Equal(h2.History["val_loss"], h.History["val_loss"]) || !slices.Equal(h2.History["loss"], h.History["loss"]) {
		t.Errorf("ValidationData gave val_loss %v, ValidationSplit %v", h2.History["val_loss"], h.History["val_loss"])
	}
}

func TestFitErrors(t *testing.T) {
	x, y := blobs(10, 1)
	built := func() *tailor.Model {
		m := newClassifier(t, 1)
		if err := m.Build(4); err != nil {
			t.Fatal(err)
		}
		return m
	}
	unbuilt := func() *tailor.Model { return newClassifier(t, 1) }
	withRate := func(lr float64) func() *tailor.Model {
		return func() *tailor.Model {
			m := newClassifier(t, 1)
			m.Optimizer().SetLearningRate(lr)
			return m
		}
	}
	nanX := x.Clone()
	nanX.Data[5] = float32(math.NaN())
	badLabel := y.Clone()
	badLabel.Data[3] = 3
	tests := []struct {
		name  string
		model func() *tailor.Model
		x, y  *tensor.Tensor
		opts  tailor.FitOptions
		want  string
	}{
		{"before Compile", func() *tailor.Model { return tailor.Sequential(layers.Dense(3, "softmax")) }, x, y, tailor.FitOptions{}, "Fit before Compile"},
		{"wrong input shape", built, tensor.New(10, 5), y, tailor.FitOptions{}, "examples of shape (5,), the model expects (4,)"},
		{"label out of range", built, x, badLabel, tailor.FitOptions{}, "target 3 is 3, want an integer class in [0, 3)"},
		{"NaN loss", built, nanX, y, tailor.FitOptions{BatchSize: 4, NoShuffle: true}, "the loss became NaN at epoch 1, step 1"},
		{"no examples", built, tensor.New(0, 4), tensor.New(0), tailor.FitOptions{}, "no examples"},
		{"nil data", unbuilt, nil, nil, tailor.FitOptions{}, "no training data"},
		{"scalar examples", unbuilt, tensor.New(1), tensor.New(1), tailor.FitOptions{}, "input shape is unknown"},
		{"negative batch", built, x, y, tailor.FitOptions{BatchSize: -1}, "batch size -1"},
		{"negative initial epoch", built, x, y, tailor.FitOptions{InitialEpoch: -3, Epochs: 1}, "initial epoch -3, want ≥ 0"},
		{"NaN learning rate", withRate(math.NaN()), x, y, tailor.FitOptions{}, "the optimizer's learning rate is NaN, want a finite rate ≥ 0"},
		{"infinite learning rate", withRate(math.Inf(1)), x, y, tailor.FitOptions{}, "learning rate is +Inf"},
		{"negative learning rate", withRate(-0.1), x, y, tailor.FitOptions{}, "learning rate is -0.1"},
		{"nil callback", built, x, y, tailor.FitOptions{Callbacks: []tailor.Callback{tailor.NopCallback{}, nil}}, "tailor: Fit: callback 1 is nil"},
		{"split too large", built, x, y, tailor.FitOptions{ValidationSplit: 1}, "validation split 1"},
		{"split negative", built, x, y, tailor.FitOptions{ValidationSplit: -0.2}, "validation split -0.2"},
		{"split NaN", built, x, y, tailor.FitOptions{ValidationSplit: math.NaN()}, "validation split NaN"},
		{"split leaves nothing", built, x, y, tailor.FitOptions{ValidationSplit: 0.95}, "leaves one side empty"},
		{"split and validation data", built, x, y, tailor.FitOptions{ValidationSplit: 0.2, ValidationData: ds(t, x, y)}, "exclusive"},
		{"bad validation labels", built, x, y, tailor.FitOptions{ValidationData: ds(t, x, badLabel)}, "validation data: sparse_categorical_crossentropy"},
		{"batch over MaxTrainingBytes", func() *tailor.Model {
			// 4096 maps of 64×64 an example: 64 MiB of outputs, 192 MiB to
			// train, so 22 examples fit in 4 GiB and a batch of 32 does not.
			m := tailor.Sequential(layers.Conv2D(4096, [2]int{1, 1}), layers.MaxPooling2D([2]int{64, 64}), layers.Flatten(), layers.Dense(3, "softmax"))
			if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy()); err != nil {
				t.Fatal(err)
			}
			return m
		}, tensor.New(40, 64, 64, 1), tensor.New(40), tailor.FitOptions{BatchSize: 32}, "a batch of 32 examples needs 6147 MiB for training"},
		{"no layers", func() *tailor.Model {
			m := tailor.Sequential()
			if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy()); err != nil {
				t.Fatal(err)
			}
			return m
		}, x, y, tailor.FitOptions{}, "no layers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Verbose = tailor.Silent
			var train datasets.Dataset // nil for nil tensors, as a caller's failed construction would leave it
			if tt.x != nil {
				train = ds(t, tt.x, tt.y)
			}
			_, err := tt.model().Fit(context.Background(), train, opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Fit error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestGetSetWeights: GetWeights copies the weights in Params order and
// SetWeights puts them back, as Keras's get_weights and set_weights do;
// arrays of the wrong number or size are an error that changes nothing.
func TestGetSetWeights(t *testing.T) {
	m := newClassifier(t, 1)
	if m.GetWeights() != nil {
		t.Error("GetWeights before Build is not nil")
	}
	if err := m.SetWeights(nil); err == nil || !strings.Contains(err.Error(), "before the model was built") {
		t.Errorf("SetWeights before Build: %v", err)
	}
	if err := m.Build(4); err != nil {
		t.Fatal(err)
	}
	saved := m.GetWeights()
	if len(saved) != len(m.Params()) || len(saved[0]) != 4*16 {
		t.Fatalf("GetWeights gave %d arrays, the first of %d values", len(saved), len(saved[0]))
	}
	saved[0][0]++ // a copy, not the weights
	if m.Params()[0].Value.Data[0] == saved[0][0] {
		t.Error("GetWeights returned the weights themselves")
	}
	if err := m.SetWeights(saved); err != nil {
		t.Fatal(err)
	}
	if m.Params()[0].Value.Data[0] != saved[0][0] {
		t.Error("SetWeights did not set the weights")
	}
	before := m.GetWeights()
	short := append([][]float32(nil), saved...)
	short[3] = short[3][:1]
	for _, tc := range []struct {
		values [][]float32
		want   string
	}{
		{saved[:3], "3 arrays for the model's 4 weights"},
		{short, "array 3 has 1 values, weight dense_1/bias has 3 (shape (3,))"},
	} {
		tc.values[0] = make([]float32, len(saved[0])) // would zero the kernel
		if err := m.SetWeights(tc.values); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetWeights: %v, want an error containing %q", err, tc.want)
		}
		if !sameWeights(before, m.GetWeights()) {
			t.Error("a refused SetWeights changed the weights")
		}
	}
}

// TestSharedLayer: a layer's weights live in the arena of the model that
// built it. Put in a second model, it was built again with new weights,
// which the first model's forward pass then read while its optimizer
// trained the old ones, silently; the second model's build now refuses
// it. A build that failed part-way leaves its layers free to build again.
func TestSharedLayer(t *testing.T) {
	d := layers.Dense(3, activations.Softmax)
	a := tailor.Sequential(d)
	if err := a.Build(4); err != nil {
		t.Fatal(err)
	}
	before := weights(a)
	b := tailor.Sequential(layers.Dense(5, activations.ReLU), d)
	if err := b.Build(4); err == nil || !strings.Contains(err.Error(), "layer dense (Dense) has been built in another model") {
		t.Errorf("building a second model with the first's layer: %v", err)
	}
	if !sameWeights(before, weights(a)) || &d.Params()[0].Value.Data[0] != &a.Params()[0].Value.Data[0] {
		t.Error("the refused build changed the first model's layer")
	}

	first := layers.Dense(4, activations.ReLU)
	c := tailor.Sequential(first, layers.MaxPooling2D([2]int{2, 2}), layers.Dense(2, activations.Softmax))
	if err := c.Build(3); err == nil {
		t.Fatal("a MaxPooling2D after 4 units built")
	}
	if err := tailor.Sequential(first, layers.Dense(2, activations.Softmax)).Build(3); err != nil {
		t.Errorf("building a layer again after a failed build: %v", err)
	}

	// one layer in two places of one model: its second Build replaced the
	// weights its first place had taken
	twice := layers.Dense(4, activations.ReLU)
	if err := tailor.Sequential(twice, twice, layers.Dense(2, activations.Softmax)).Build(4); err == nil || !strings.Contains(err.Error(), "is both layer 1 and layer 2 of the model") {
		t.Errorf("building a model holding one layer twice: %v", err)
	}
}

// TestDuplicateLayerNames: Keras refuses a Sequential model two of whose
// layers share a name. Tailor built and trained one — its weights' paths
// (dense/kernel) colliding, two Dropouts of one name drawing the same
// masks — and only saving.Save refused it, after training. Build, and
// Compile building a declared input, now refuse it, naming the layers.
func TestDuplicateLayerNames(t *testing.T) {
	named := func(l layers.Layer, name string) layers.Layer { l.SetName(name); return l }
	for _, tt := range []struct {
		name   string
		layers []layers.Layer
		want   string
	}{
		{"two dense", []layers.Layer{layers.Flatten(2, 2), named(layers.Dense(4, activations.ReLU), "dense"), named(layers.Dense(3, activations.Softmax), "dense")},
			`tailor: layers 2 and 3 are both named "dense"`},
		{"a name given after another took it", []layers.Layer{layers.Flatten(2, 2), layers.Dense(4, activations.ReLU), named(layers.Dropout(0.3), "dense")},
			`tailor: layers 2 and 3 are both named "dense"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := tailor.Sequential(tt.layers...)
			err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy())
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Compile: %v, want an error starting %q", err, tt.want)
			}
			if m.Built() {
				t.Error("the model was built")
			}
		})
	}
	// The names that Sequential gives are unique, and build.
	m := tailor.Sequential(layers.Flatten(2, 2), layers.Dense(4, activations.ReLU), layers.Dropout(0.3), layers.Dense(3, activations.Softmax))
	if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
}
