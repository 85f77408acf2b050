package saving

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/internal/hostile"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/safetensors"
	"github.com/tailor-ml/tailor/tensor"
)

// allocated returns the bytes f allocates, a bound on the memory it holds
// at any moment.
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// safetensorsHeader returns a safetensors file's first bytes: the length
// and the JSON header of one F32 tensor of n elements named name.
func safetensorsHeader(name string, n int64) []byte {
	h := fmt.Sprintf(`{%q:{"dtype":"F32","shape":[%d],"data_offsets":[0,%d]}}`, name, n, 4*n)
	for len(h)%8 != 0 {
		h += " "
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(b, h...)
}

// writeZip writes a hostile archive to path.
func writeZip(t *testing.T, path string, entries ...hostile.Entry) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := hostile.Zip(f, entries...); err != nil {
		t.Fatal(err)
	}
}

// wideConv is a model of under 200,000 weights whose 1×1 convolution
// outputs 16,384 channels at every one of 28×28 positions: 12.8 million
// values per example (51 MB), and as many again for each of the reshapes
// after it.
func wideConv(t *testing.T, reshapes int) *tailor.Model {
	ls := []layers.Layer{layers.Reshape(28, 28, 1), layers.Conv2D(16384, [2]int{1, 1})}
	for range reshapes {
		ls = append(ls, layers.Reshape(28, 28, 16384))
	}
	m := tailor.Sequential(append(ls, layers.GlobalAveragePooling2D(), layers.Dense(10, activations.Softmax))...)
	if err := m.Build(28, 28); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHostileModelFiles: model files that ask for gigabytes fail, naming
// the file and the entry, having allocated a few megabytes at most; one
// that carries a large training.json still loads as a model, without
// reading it.
func TestHostileModelFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes archives that inflate to 512 MiB")
	}
	dir := t.TempDir()
	good := saved(t, trained(t), Meta{ClassNames: threeClasses})
	_, e := entries(t, good)
	cfg, w, opt := e[configEntry], e[weightsEntry], e[optimizerEntry]
	stored := func(name string, b []byte) hostile.Entry {
		return hostile.Entry{Name: name, Method: zip.Store, Write: hostile.Bytes(b)}
	}
	const big = 512 << 20 // more than the 300 MB a hostile file may cost

	// A stored entry whose sizes claim a terabyte.
	var lying bytes.Buffer
	zw := zip.NewWriter(&lying)
	for _, en := range []struct {
		name string
		b    []byte
	}{{configEntry, cfg}, {weightsEntry, w}} {
		fw, _ := zw.CreateRaw(&zip.FileHeader{Name: en.name, Method: zip.Store, CompressedSize64: 1 << 40, UncompressedSize64: 1 << 40})
		fw.Write(en.b)
	}
	zw.Close()

	// A central directory of 200,000 entries after the real ones (11 MB):
	// zip.NewReader reads every header that follows, whatever the end
	// record counts, and allocated 2.4 times the file for them.
	var crowded bytes.Buffer
	zw = zip.NewWriter(&crowded)
	for i := range 200_002 {
		fw, _ := zw.CreateHeader(&zip.FileHeader{Name: [...]string{configEntry, weightsEntry}[min(i, 1)], Method: zip.Store})
		switch i {
		case 0:
			fw.Write(cfg)
		case 1:
			fw.Write(w)
		}
	}
	zw.Close()

	for _, tc := range []struct {
		name    string
		entries []hostile.Entry
		raw     []byte
		want    string // "" if it must load
		limit   uint64
	}{
		{name: "deflated weights inflating to 512 MiB", entries: []hostile.Entry{
			stored(configEntry, cfg),
			{Name: weightsEntry, Method: zip.Deflate, Write: hostile.Repeat(safetensorsHeader("dense/kernel", big/4), 0, big)},
		}, want: "model.safetensors is compressed (zip method 8)", limit: 1 << 20},
		{name: "deflated config.json of 512 MiB", entries: []hostile.Entry{
			{Name: configEntry, Method: zip.Deflate, Write: hostile.Repeat(nil, ' ', big)}, stored(weightsEntry, w),
		}, want: "config.json is compressed", limit: 1 << 20},
		{name: "deflated training.json of 512 MiB of spaces", entries: []hostile.Entry{
			stored(configEntry, cfg), stored(weightsEntry, w), stored(optimizerEntry, opt),
			{Name: trainingEntry, Method: zip.Deflate, Write: hostile.Repeat(nil, ' ', big)},
		}, want: "training.json is compressed", limit: 1 << 20},
		{name: "stored sizes claiming a terabyte", raw: lying.Bytes(), want: "claims 1099511627776 bytes", limit: 1 << 20},
		{name: "200,000 entries", raw: crowded.Bytes(), want: "more than a model file's 4 entries take", limit: 8 << 20},
		{name: "stored training.json of 64 MiB, not read", entries: []hostile.Entry{
			stored(configEntry, cfg), stored(weightsEntry, w), stored(optimizerEntry, opt),
			{Name: trainingEntry, Method: zip.Store, Write: hostile.Repeat(nil, ' ', 64<<20)},
		}, limit: 4 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".tailor")
			if tc.raw != nil {
				os.WriteFile(path, tc.raw, 0o644)
			} else {
				writeZip(t, path, tc.entries...)
			}
			var err error
			var m *tailor.Model
			a := allocated(func() { m, _, err = Load(path) })
			st, _ := os.Stat(path)
			t.Logf("%d-byte file: allocated %d bytes: %v", st.Size(), a, err)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				checkLoaded(t, m)
			} else if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want one naming %s and saying %q", err, path, tc.want)
			}
			if a > tc.limit {
				t.Errorf("loading allocated %d bytes, want at most %d", a, tc.limit)
			}
		})
	}
}

// TestActivationBudget: a model file of under a megabyte whose layers
// would output more than a GiB for one example (the convolution and 20
// reshapes of its output) is refused at load; with no reshapes, 51 MB an
// example, it loads, and Predict's default batch is the 20 examples that
// fit (13 GB for a batch of 256 would not).
func TestActivationBudget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wide.tailor")
	if err := Save(path, wideConv(t, 20), Meta{}); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Size() > 1<<20 {
		t.Fatalf("the file is %d bytes, want under 1 MiB", st.Size())
	}
	var err error
	a := allocated(func() { _, _, err = Load(path) })
	if err == nil || !strings.Contains(err.Error(), "the layers up to reshape_20 output 269746960 values per example: one example would take 1029 MiB of activations, more than the limit of 1024 MiB") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Load: %v", err)
	}
	if a > 16<<20 {
		t.Errorf("refusing it allocated %d bytes", a)
	}

	if err := Save(path, wideConv(t, 0), Meta{}); err != nil {
		t.Fatal(err)
	}
	m, _, err := Load(path)
	if err != nil {
		t.Fatalf("Load of 51 MB an example: %v", err)
	}
	if b := m.DefaultBatchSize(false); b != 20 {
		t.Errorf("default batch %d examples of %d bytes, want the 20 within %d", b, m.ActivationBytes(1), MaxActivationBytes)
	}
	// models of the shapes Tailor ships load: see TestModelsFitTheBudgets.
}

// TestCheckpointLimits: LoadCheckpoint reads training.json, capped at 16
// MiB plus twice the weights; its batch size must fit the activation
// budget at three times the layers' outputs; JSON of valid syntax near the
// cap costs a bounded multiple of its size.
func TestCheckpointLimits(t *testing.T) {
	m := trained(t)
	opts := tailor.FitOptions{Epochs: 2, BatchSize: 16, Seed: 3}
	dir := t.TempDir()
	ck := &Checkpoint{Model: m, Meta: Meta{ClassNames: threeClasses}, Fit: FitConfigOf(opts), Progress: m.Progress()}
	if err := SaveCheckpoint(dir, ck); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, CheckpointFile)
	b, _ := os.ReadFile(path)
	_, e := entries(t, b)
	cfg, w, opt := e[configEntry], e[weightsEntry], e[optimizerEntry]
	limit := 16<<20 + 2*len(w)
	rewrite := func(training hostile.Entry) {
		writeZip(t, path,
			hostile.Entry{Name: configEntry, Method: zip.Store, Write: hostile.Bytes(cfg)},
			hostile.Entry{Name: weightsEntry, Method: zip.Store, Write: hostile.Bytes(w)},
			hostile.Entry{Name: optimizerEntry, Method: zip.Store, Write: hostile.Bytes(opt)},
			training)
	}
	// Valid JSON, a history of millions of zeros: 1 byte short of the cap.
	history := func(n int) func(io.Writer) error {
		return func(w io.Writer) error {
			head := `{"fit":{"epochs":2,"batch_size":16,"seed":3},"progress":{"epoch":2,"step":0,"seen":0,"loss_sum":0},"history":{"epochs":[],"seconds":[],"history":{"loss":[0`
			tail := `]}}}`
			io.WriteString(w, head)
			block := []byte(strings.Repeat(",0", 1<<19))
			for left := n - len(head) - len(tail); left >= 2; {
				k := min(left/2*2, len(block))
				w.Write(block[:k])
				left -= k
			}
			_, err := io.WriteString(w, tail)
			return err
		}
	}
	for _, tc := range []struct {
		name     string
		training hostile.Entry
		want     string
		alloc    uint64
	}{
		{"600 MB of JSON, deflated", hostile.Entry{Name: trainingEntry, Method: zip.Deflate, Write: history(600 << 20)}, "training.json is compressed", 1 << 20},
		{"over the cap", hostile.Entry{Name: trainingEntry, Method: zip.Store, Write: hostile.Repeat(nil, ' ', int64(limit)+1)}, fmt.Sprintf("more than the limit of %d", limit), 2 << 20},
		{"valid JSON just under the cap", hostile.Entry{Name: trainingEntry, Method: zip.Store, Write: history(limit - 1)}, "numbers, more than the limit of 1048576", 64 << 20},
		{"a million numbers", hostile.Entry{Name: trainingEntry, Method: zip.Store, Write: history(2 << 20)}, "history of 0 epochs has", 300 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rewrite(tc.training)
			var err error
			a := allocated(func() { _, err = LoadCheckpoint(dir) })
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("LoadCheckpoint: %v, want an error naming %s and saying %q", err, path, tc.want)
			}
			if a > tc.alloc {
				t.Errorf("allocated %d bytes, want at most %d", a, tc.alloc)
			}
			t.Logf("allocated %.1f MB: %v", float64(a)/1e6, err)
		})
	}

	// A checkpoint of a model whose training batches would not fit.
	conv := tailor.Sequential(layers.Reshape(28, 28, 1), layers.Conv2D(32, [2]int{3, 3}, layers.Conv2DOptions{Padding: layers.Same}), layers.GlobalAveragePooling2D(), layers.Dense(3, activations.Softmax))
	conv.SetSeed(1)
	compileAdam(t, conv)
	if err := conv.Build(28, 28); err != nil {
		t.Fatal(err)
	}
	for batch, want := range map[int]string{64: "", 16384: "batches of 16384 examples would take 4.7 GiB of activations to train this model, more than the limit of 4 GiB"} {
		ck := &Checkpoint{Model: conv, Fit: FitConfigOf(tailor.FitOptions{Epochs: 1, BatchSize: batch}), Progress: conv.Progress()}
		if err := SaveCheckpoint(dir, ck); err != nil {
			t.Fatal(err)
		}
		_, err := LoadCheckpoint(dir)
		if want == "" && err != nil {
			t.Errorf("batch %d: %v", batch, err)
		}
		if want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("batch %d: %v, want %q", batch, err, want)
		}
	}
}

// TestLoadReaderCap: LoadReader stops reading at its cap.
func TestLoadReaderCap(t *testing.T) {
	good := saved(t, trained(t), Meta{})
	if _, _, err := loadReader(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Fatalf("a file of exactly the cap: %v", err)
	}
	r := &countingReader{r: io.MultiReader(bytes.NewReader(good), bytes.NewReader(make([]byte, 1<<20)))}
	_, _, err := loadReader(r, int64(len(good)))
	if err == nil || !strings.Contains(err.Error(), "larger than LoadReader's limit") {
		t.Fatalf("over the cap: %v", err)
	}
	if r.n > int64(len(good))+64<<10 {
		t.Errorf("read %d bytes past a cap of %d", r.n, len(good))
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestModelsFitTheBudgets: every model Tailor ships loads, and its
// checkpoint at its recipe's batch size (and at 8 times it) resumes,
// within the budgets.
func TestModelsFitTheBudgets(t *testing.T) {
	dir := t.TempDir()
	for _, name := range models.Names() {
		m, err := models.New(name)
		if err != nil {
			t.Fatal(err)
		}
		recipe, _ := models.TrainingRecipe(name)
		if err := m.Compile(recipe.Optimizer(100), recipe.Loss(), metrics.Accuracy()); err != nil {
			t.Fatal(err)
		}
		if !m.Built() {
			if err := m.Build(28, 28); err != nil {
				t.Fatal(err)
			}
		}
		path := filepath.Join(dir, name+".tailor")
		if err := Save(path, m, Meta{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Load(path); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for _, batch := range []int{recipe.BatchSize, 8 * recipe.BatchSize} {
			ck := &Checkpoint{Model: m, Fit: FitConfigOf(tailor.FitOptions{Epochs: recipe.Epochs, BatchSize: batch}), Progress: m.Progress()}
			if err := SaveCheckpoint(dir, ck); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadCheckpoint(dir); err != nil {
				t.Errorf("%s, batches of %d: %v", name, batch, err)
			}
		}
	}
}

// TestConfigNumbers: a config.json of 16 MiB of numbers is refused before
// it is decoded.
func TestConfigNumbers(t *testing.T) {
	good := saved(t, trained(t), Meta{})
	_, e := entries(t, good)
	cfg := bytes.TrimSuffix(bytes.TrimSpace(e[configEntry]), []byte("}"))
	cfg = append(cfg, `,"x":[0`...)
	cfg = append(cfg, bytes.Repeat([]byte(",0"), 8<<20-len(cfg)/2-4)...)
	cfg = append(cfg, "]}"...)
	var err error
	a := allocated(func() { _, _, err = loadBytes(archive(configEntry, cfg, weightsEntry, e[weightsEntry])) })
	if err == nil || !strings.Contains(err.Error(), "numbers, more than the limit of 1048576") {
		t.Fatalf("load: %v", err)
	}
	if a > 64<<20 {
		t.Errorf("refusing it allocated %d bytes", a)
	}
	if n, _ := countValues([]byte(`{"a":[1,-2.5e3,"7 8",true,null,{"b":"\"9"}],"c":0.1}`)); n != 3 {
		t.Errorf("countValues = %d numbers, want 3", n)
	}
}

// TestLoadWeightsCap: a weights file whose tensors take far more than the
// model's weights is refused from its header.
func TestLoadWeightsCap(t *testing.T) {
	const n = 16 << 20 // 64 MiB of float32s, all there
	file := append(safetensorsHeader("dense/kernel", n), make([]byte, 4*n)...)
	m := smallMLP(1)
	var err error
	a := allocated(func() { err = LoadWeightsFrom(bytes.NewReader(file), m) })
	if err == nil || !strings.Contains(err.Error(), "the tensors take 67108864 bytes, more than the limit of 1048576") {
		t.Fatalf("LoadWeightsFrom: %v", err)
	}
	if a > 1<<20 {
		t.Errorf("refusing it allocated %d bytes", a)
	}
}

// TestConfigValues: config.json of 16 MiB of empty objects, lists or
// strings — three bytes in the file, a hundred or more decoded — cost 600
// to 860 MB to decode, where only its numbers were counted; they are now
// counted too, and refused before decoding, as is training.json of them.
func TestConfigValues(t *testing.T) {
	m := trained(t)
	good := saved(t, m, Meta{})
	_, e := entries(t, good)
	head := bytes.TrimSuffix(bytes.TrimSpace(e[configEntry]), []byte("}"))
	for _, filler := range []string{"{},", "[],", `"",`, "null,"} {
		cfg := append(bytes.Clone(head), `,"x":[`...)
		cfg = append(cfg, bytes.Repeat([]byte(filler), (maxJSON-len(cfg)-2)/len(filler))...)
		cfg = append(cfg, "0]}"...)
		var err error
		a := allocated(func() { _, _, err = loadBytes(archive(configEntry, cfg, weightsEntry, e[weightsEntry])) })
		if err == nil || !strings.Contains(err.Error(), "loading config.json:") || !strings.Contains(err.Error(), "strings, lists, objects and literals") || !strings.Contains(err.Error(), "more than the limit of 2097152") {
			t.Errorf("%q: load: %v", filler, err)
		}
		if a > 64<<20 {
			t.Errorf("%q: refusing it allocated %d MiB", filler, a>>20)
		}
	}
	// Just under the limit, in a layer's config (decoded as any), decoding
	// costs a few hundred megabytes at most.
	for _, filler := range []string{"{},", `"",`} {
		weight := 1
		if filler[0] == '{' {
			weight = 4
		}
		n := (maxJSONValues - countOthers(t, e[configEntry]) - 2*4) / weight
		cfg := bytes.Replace(e[configEntry], []byte(`"units"`), []byte(`"bomb":[`+strings.Repeat(filler, n)+`0],"units"`), 1)
		var err error
		a := allocated(func() { _, _, err = loadBytes(archive(configEntry, cfg, weightsEntry, e[weightsEntry])) })
		if err == nil || !strings.Contains(err.Error(), `unknown configuration keys ["bomb"]`) {
			t.Errorf("%q just under the limit: %v", filler, err)
		}
		if a > 300<<20 {
			t.Errorf("%q: decoding config.json just under the limit allocated %d MiB", filler, a>>20)
		}
		t.Logf("%q just under the limit: %d-byte config.json, %d MiB allocated", filler, len(cfg), a>>20)
	}

	ck := &Checkpoint{Model: m, Fit: FitConfigOf(tailor.FitOptions{Epochs: 2, BatchSize: 16})}
	dir := t.TempDir()
	if err := SaveCheckpoint(dir, ck); err != nil {
		t.Fatal(err)
	}
	_, e = entries(t, mustRead(t, filepath.Join(dir, CheckpointFile)))
	tj := bytes.TrimSuffix(bytes.TrimSpace(e[trainingEntry]), []byte("}"))
	tj = append(tj, `,"callbacks":{"x":[`...)
	tj = append(tj, bytes.Repeat([]byte("{},"), 3<<20)...)
	tj = append(tj, "0]}}"...)
	os.WriteFile(filepath.Join(dir, CheckpointFile), archive(configEntry, e[configEntry], weightsEntry, e[weightsEntry], optimizerEntry, e[optimizerEntry], trainingEntry, tj), 0o644)
	var err error
	a := allocated(func() { _, err = LoadCheckpoint(dir) })
	if err == nil || !strings.Contains(err.Error(), "loading training.json:") || !strings.Contains(err.Error(), "more than the limit of 2097152") {
		t.Errorf("training.json: %v", err)
	}
	if a > 64<<20 {
		t.Errorf("refusing training.json allocated %d MiB", a>>20)
	}

	if n, o := countValues([]byte(`{"a":[1,-2.5e3,"7 8",true,null,{"b":"\"9"}],"c":0.1, "d":false}`)); n != 3 || o != 4+1+4+1+1+1+4+1+1+1+1+1 {
		t.Errorf("countValues = %d numbers, %d others; want 3 and 21", n, o)
	}
}

func countOthers(t *testing.T, b []byte) int {
	_, o := countValues(b)
	return o
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// manyTensors returns a safetensors file of n zero-size tensors.
func manyTensors(n int) []byte {
	var h strings.Builder
	h.WriteString("{")
	for i := range n {
		if i > 0 {
			h.WriteByte(',')
		}
		fmt.Fprintf(&h, `"t%d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`, i)
	}
	h.WriteString("}")
	b := binary.LittleEndian.AppendUint64(nil, uint64(h.Len()))
	return append(b, h.String()...)
}

// TestManyTensors: a weights file or entry of 300,000 zero-size tensors
// (17 MB) took seconds and hundreds of megabytes to parse before the
// first was found not to be a weight; the header is now refused at the
// first tensor past what the model can hold.
func TestManyTensors(t *testing.T) {
	b := manyTensors(300_000)
	good := saved(t, trained(t), Meta{})
	_, e := entries(t, good)
	lim := 3*uint64(len(b)) + 8<<20 // the header read, and what parsing 256 tensors costs
	var err error
	file := archive(configEntry, e[configEntry], weightsEntry, b)
	a := allocated(func() { _, _, err = loadBytes(file) })
	if err == nil || !strings.Contains(err.Error(), `loading model.safetensors: safetensors: invalid header at byte`) || !strings.Contains(err.Error(), `tensor "t256": more than 256 tensors`) {
		t.Errorf("model file: %v", err)
	}
	if a > lim {
		t.Errorf("model file: refusing a %d-byte entry allocated %d bytes, want at most %d", len(b), a, lim)
	}
	file = archive(configEntry, e[configEntry], weightsEntry, e[weightsEntry], optimizerEntry, b)
	a = allocated(func() { _, _, err = loadBytes(file) })
	if err == nil || !strings.Contains(err.Error(), `loading optimizer.safetensors:`) || !strings.Contains(err.Error(), `more than 2048 tensors`) {
		t.Errorf("optimizer state: %v", err)
	}
	if a > lim {
		t.Errorf("optimizer state: refusing a %d-byte entry allocated %d bytes, want at most %d", len(b), a, lim)
	}
	a = allocated(func() { err = LoadWeightsFrom(bytes.NewReader(b), smallMLP(1)) })
	if err == nil || !strings.Contains(err.Error(), `tensor "t4": more than 4 tensors`) {
		t.Errorf("LoadWeightsFrom: %v", err)
	}
	if a > lim {
		t.Errorf("LoadWeightsFrom: refusing a %d-byte file allocated %d bytes, want at most %d", len(b), a, lim)
	}
}

// hugeOutput is a layer (of a user's registry) whose output shape is
// three dimensions of 2³¹: 2⁹³ values, whose product overflows int64.
type hugeOutput struct{ layers.Layer }

func (hugeOutput) Name() string           { return "huge" }
func (hugeOutput) Config() map[string]any { return nil }
func (hugeOutput) Build(tensor.Shape, *params.Builder) (tensor.Shape, error) {
	return tensor.Shape{1 << 31, 1 << 31, 1 << 31}, nil
}

// TestCheckBudgetHugeOutput checks that an output shape whose size
// overflows int64 is refused for its activations, not wrapped to a small
// (or negative) count that passes.
func TestCheckBudgetHugeOutput(t *testing.T) {
	_, err := checkBudget([]layers.Layer{hugeOutput{}}, []int{4}, &safetensors.File{})
	if err == nil || !strings.Contains(err.Error(), "the layers up to huge output") {
		t.Fatalf("err = %v, want the activations refused", err)
	}
}

// TestLoadReaderRefusesWhatIsNotAZip: a model file begins with a zip
// entry's local header, so LoadReader refuses a stream that does not
// (a PNG, a CSV, /dev/zero piped in) from its first bytes, rather than
// read up to MaxReaderBytes of it into memory first.
func TestLoadReaderRefusesWhatIsNotAZip(t *testing.T) {
	for _, tt := range []struct {
		name  string
		start []byte
	}{
		{"zeros", nil},
		{"a PNG", []byte("\x89PNG\r\n\x1a\n")},
		{"an empty zip's end record", []byte("PK\x05\x06")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &countingReader{r: io.MultiReader(bytes.NewReader(tt.start), bytes.NewReader(make([]byte, 64<<20)))}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, _, err := LoadReader(r)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "not a Tailor model file") {
				t.Errorf("error %v, want one saying it is not a model file", err)
			}
			if r.n > 1<<20 {
				t.Errorf("read %d bytes of a stream that is not a zip archive", r.n)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
				t.Errorf("allocated %d bytes to refuse it", alloc)
			}
		})
	}
	// A model file still loads from a stream.
	good := saved(t, trained(t), Meta{})
	if _, _, err := LoadReader(bytes.NewReader(good)); err != nil {
		t.Fatal(err)
	}
}
