package saving

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/safetensors"
	"github.com/tailor-ml/tailor/tensor"
)

// editConfig returns config.json with edit applied to its decoded form.
func editConfig(t *testing.T, cfg []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(cfg, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func layerConfig(m map[string]any, i int) map[string]any {
	return m["model"].(map[string]any)["config"].(map[string]any)["layers"].([]any)[i].(map[string]any)
}

// editTensors rewrites a safetensors entry through edit.
func editTensors(t *testing.T, b []byte, edit func(*safetensors.File)) []byte {
	t.Helper()
	f, err := safetensors.Read(bytes.NewReader(b), safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	edit(f)
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, f.Tensors, f.Metadata); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCorruptFiles loads damaged model files: each must give an error
// naming the problem, without panicking or allocating much.
func TestCorruptFiles(t *testing.T) {
	good := saved(t, trained(t), Meta{ClassNames: threeClasses})
	_, e := entries(t, good)
	cfg, w, opt := e[configEntry], e[weightsEntry], e[optimizerEntry]
	withConfig := func(c []byte) []byte { return archive(configEntry, c, weightsEntry, w, optimizerEntry, opt) }
	withWeights := func(ws []byte) []byte { return archive(configEntry, cfg, weightsEntry, ws, optimizerEntry, opt) }

	// The first byte of model.safetensors' data inside the archive, to
	// damage it behind the checksum's back.
	dataAt := bytes.Index(good, w) + 8 + int(binary.LittleEndian.Uint64(w)) + 5
	flipped := bytes.Clone(good)
	flipped[dataAt] ^= 0x40

	hugeHeader := bytes.Clone(w)
	binary.LittleEndian.PutUint64(hugeHeader, 1<<50)

	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	bw, _ := zw.Create(configEntry) // deflated
	bw.Write(bytes.Repeat([]byte{' '}, 20<<20))
	bw, _ = zw.Create(weightsEntry)
	bw.Write(w)
	zw.Close()

	deep := editConfig(t, cfg, func(m map[string]any) {
		layerConfig(m, 1)["config"].(map[string]any)["units"] = json.RawMessage(strings.Repeat("[", 5000) + strings.Repeat("]", 5000))
	})

	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "not a Tailor model file"},
		{"not a zip", []byte("P4\n28 28\n"), "not a Tailor model file"},
		{"truncated to half", good[:len(good)/2], "not a Tailor model file"},
		{"truncated by one byte", good[:len(good)-1], "not a Tailor model file"},
		{"flipped bit in the weights", flipped, "checksum"},
		{"no weights", archive(configEntry, cfg), "no model.safetensors"},
		{"unexpected entry", archive(configEntry, cfg, weightsEntry, w, "run.sh", []byte("rm -rf /")), `unexpected entry "run.sh"`},
		{"bad json", withConfig(cfg[:len(cfg)/2]), "loading config.json: unexpected EOF"},
		{"deeply nested json", withConfig(deep), "loading config.json"},
		{"json after json", withConfig(append(bytes.Clone(cfg), "{}"...)), "data after the JSON object"},
		{"unknown key", withConfig(editConfig(t, cfg, func(m map[string]any) { m["pickle"] = "x" })), `unknown field "pickle"`},
		{"newer format", withConfig(editConfig(t, cfg, func(m map[string]any) { m["format_version"] = 9 })), "newer than this Tailor's 1"},
		{"not tailor", withConfig(editConfig(t, cfg, func(m map[string]any) { m["format"] = "keras" })), `format "keras"`},
		{"unknown layer", withConfig(editConfig(t, cfg, func(m map[string]any) { layerConfig(m, 2)["class_name"] = "Lambda" })), `unknown layer type "Lambda"`},
		{"bad layer argument", withConfig(editConfig(t, cfg, func(m map[string]any) { layerConfig(m, 1)["config"].(map[string]any)["units"] = -3 })), "units is -3"},
		{"unknown layer key", withConfig(editConfig(t, cfg, func(m map[string]any) { layerConfig(m, 1)["config"].(map[string]any)["function"] = "os.system" })), `unknown configuration keys ["function"]`},
		{"bad activation", withConfig(editConfig(t, cfg, func(m map[string]any) { layerConfig(m, 1)["config"].(map[string]any)["activation"] = "gelu" })), `unknown activation "gelu"`},
		{"duplicate layer names", withConfig(editConfig(t, cfg, func(m map[string]any) { layerConfig(m, 3)["config"].(map[string]any)["name"] = "dense" })), `two layers are named "dense"`},
		{"shape mismatch", withConfig(editConfig(t, cfg, func(m map[string]any) { layerConfig(m, 1)["config"].(map[string]any)["units"] = 17 })), "weight dense/kernel has shape (36, 16) in the file but (36, 17) in the model"},
		{"huge layer", withConfig(editConfig(t, cfg, func(m map[string]any) { layerConfig(m, 1)["config"].(map[string]any)["units"] = 1 << 20 })), "asks for about 37748736 weights but the file holds 643"},
		{"huge input", withConfig(editConfig(t, cfg, func(m map[string]any) {
			m["model"].(map[string]any)["config"].(map[string]any)["build_input_shape"] = []int{1 << 20, 1 << 20}
		})), "input shape"},
		{"wrong class names", withConfig(editConfig(t, cfg, func(m map[string]any) { m["class_names"] = []string{"a"} })), "1 class names for outputs of shape (3,)"},
		{"unknown optimizer", withConfig(editConfig(t, cfg, func(m map[string]any) {
			m["compile_config"].(map[string]any)["optimizer"].(map[string]any)["class_name"] = "Adagrad"
		})), `unknown optimizer "Adagrad"`},
		{"bad learning rate", withConfig(editConfig(t, cfg, func(m map[string]any) {
			m["compile_config"].(map[string]any)["optimizer"].(map[string]any)["config"].(map[string]any)["learning_rate"] = -1
		})), "learning_rate > 0"},
		{"bad label smoothing", withConfig(editConfig(t, cfg, func(m map[string]any) {
			m["compile_config"].(map[string]any)["loss"] = map[string]any{"class_name": "sparse_categorical_crossentropy", "config": map[string]any{"label_smoothing": 2}}
		})), "label_smoothing is 2, want a value in [0, 1)"},
		{"loss neither name nor object", withConfig(editConfig(t, cfg, func(m map[string]any) { m["compile_config"].(map[string]any)["loss"] = 3 })), "want a name or {\"class_name\""},
		{"unknown loss", withConfig(editConfig(t, cfg, func(m map[string]any) { m["compile_config"].(map[string]any)["loss"] = "hinge" })), `unknown loss "hinge"`},
		{"huge safetensors header", withWeights(hugeHeader), "more than the limit"},
		{"truncated weights", withWeights(w[:len(w)-10]), "truncated"},
		{"weights too long", withWeights(append(bytes.Clone(w), 0, 0, 0, 0)), "after the last tensor"},
		{"tensor size against header", withWeights(bytes.Replace(w, []byte(`"shape":[16]`), []byte(`"shape":[15]`), 1)), "takes 60 bytes but data_offsets"},
		{"bad safetensors json", withWeights(bytes.Replace(w, []byte(`"dtype"`), []byte(`"dtype`), 1)), "invalid header"},
		{"NaN weight", withWeights(editTensors(t, w, func(f *safetensors.File) { f.Tensors[1].Data[3] = float32(math.NaN()) })), "weight dense/bias holds NaN at index 3"},
		{"infinite weight", withWeights(editTensors(t, w, func(f *safetensors.File) { f.Tensors[0].Data[0] = float32(math.Inf(1)) })), "holds +Inf"},
		{"missing weight", withWeights(editTensors(t, w, func(f *safetensors.File) { f.Tensors = f.Tensors[:3] })), "no weight dense_1/bias"},
		{"extra weight", withWeights(editTensors(t, w, func(f *safetensors.File) {
			f.Tensors = append(f.Tensors, safetensors.Tensor{Name: "dense/extra", Shape: []int{1}, Data: []float32{1}})
		})), "the file holds dense/extra"},
		{"renamed weight", withWeights(editTensors(t, w, func(f *safetensors.File) { f.Tensors[0].Name = "dense/kernal" })), "no weight dense/kernel"},
		{"optimizer state of another shape", archive(configEntry, cfg, weightsEntry, w, optimizerEntry, editTensors(t, opt, func(f *safetensors.File) {
			f.Tensors[0].Shape, f.Tensors[0].Data = []int{2}, []float32{0, 0}
		})), "m/dense/kernel has shape (2,)"},
		{"optimizer iterations", archive(configEntry, cfg, weightsEntry, w, optimizerEntry, editTensors(t, opt, func(f *safetensors.File) { f.Metadata["iterations"] = "-4" })), `iterations "-4"`},
		// A step count that the next step overflows: Adam's bias correction
		// then turns every weight into NaN, and Fit reported no error.
		{"optimizer iterations at the int64 limit", archive(configEntry, cfg, weightsEntry, w, optimizerEntry, editTensors(t, opt, func(f *safetensors.File) { f.Metadata["iterations"] = "9223372036854775807" })),
			`iterations "9223372036854775807", want a count of at most 9007199254740992`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := loadBytes(tc.file)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if a := after.TotalAlloc - before.TotalAlloc; a > 64<<20 {
				t.Errorf("loading allocated %d MiB", a>>20)
			}
		})
	}

	// A deflated entry that would inflate past its limit: Tailor never
	// deflates, and refuses it unread.
	_, _, err := loadBytes(bomb.Bytes())
	if err == nil || !strings.Contains(err.Error(), "config.json is compressed (zip method 8)") {
		t.Errorf("zip bomb: %v", err)
	}
}

// checkLoaded runs a model that loaded on one example, which must not
// panic.
func checkLoaded(t *testing.T, m *tailor.Model) {
	if m.InputShape().Size() > 1<<16 {
		return
	}
	x := tensor.New(append([]int{1}, m.InputShape()...)...)
	if _, err := m.Predict(context.Background(), x, tailor.PredictOptions{}); err != nil {
		t.Fatalf("a loaded model cannot predict: %v", err)
	}
}

// FuzzLoad feeds arbitrary bytes to the loader. Most mutations break the
// zip checksums; FuzzLoadEntries gets past them.
func FuzzLoad(f *testing.F) {
	good := saved(f, trained(f), Meta{ClassNames: threeClasses})
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		m, _, err := loadBytes(b)
		if err == nil {
			checkLoaded(t, m)
		}
	})
}

// FuzzLoadEntries fuzzes the entries of a model file and zips them with
// valid checksums, so the fuzzer reaches the JSON and safetensors checks.
func FuzzLoadEntries(f *testing.F) {
	x, y := synthetic(8, 6, 6, 1)
	tiny := tailor.Sequential(layers.Flatten(6, 6), layers.Dense(2, activations.ReLU), layers.Dense(3, activations.Softmax))
	compileAdam(f, tiny)
	if _, err := tiny.Fit(context.Background(), ds(x, y), tailor.FitOptions{BatchSize: 8, Verbose: tailor.Silent}); err != nil {
		f.Fatal(err)
	}
	conv := tailor.Sequential(
		layers.Reshape(6, 6, 1),
		layers.Conv2D(1, [2]int{3, 3}, layers.Conv2DOptions{Padding: layers.Same}),
		layers.BatchNormalization(),
		layers.MaxPooling2D([2]int{2, 2}),
		layers.AveragePooling2D([2]int{3, 3}),
		layers.Dropout(0.5),
		layers.GlobalAveragePooling2D(),
	)
	conv.Build(6, 6)
	for _, m := range []*tailor.Model{tiny, conv} {
		_, e := entries(f, saved(f, m, Meta{}))
		f.Add(e[configEntry], e[weightsEntry], e[optimizerEntry])
	}
	f.Fuzz(func(t *testing.T, cfg, w, opt []byte) {
		kv := []any{configEntry, cfg, weightsEntry, w}
		if len(opt) > 0 {
			kv = append(kv, optimizerEntry, opt)
		}
		m, _, err := loadBytes(archive(kv...))
		if err == nil {
			checkLoaded(t, m)
		}
	})
}

// FuzzLoadDeflated zips fuzzed entries, each stored or deflated as the
// fuzzer chooses (with valid checksums), and a fuzzed training.json: a
// deflated entry must be refused unread, whatever it holds, and Load must
// never read training.json.
func FuzzLoadDeflated(f *testing.F) {
	good := saved(f, trained(f), Meta{ClassNames: threeClasses})
	_, e := entries(f, good)
	for _, methods := range []uint8{0, 1, 2, 4, 8, 15} {
		f.Add(e[configEntry], e[weightsEntry], e[optimizerEntry], []byte(`{"fit":{}}`), methods)
	}
	f.Add(e[configEntry], e[weightsEntry], []byte{}, bytes.Repeat([]byte{' '}, 1<<12), uint8(8))
	f.Fuzz(func(t *testing.T, cfg, w, opt, training []byte, methods uint8) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		deflated := false
		for i, en := range []struct {
			name string
			b    []byte
		}{{configEntry, cfg}, {weightsEntry, w}, {optimizerEntry, opt}, {trainingEntry, training}} {
			if len(en.b) == 0 && i >= 2 {
				continue
			}
			method := zip.Store
			if methods&(1<<i) != 0 {
				method, deflated = zip.Deflate, true
			}
			ew, err := zw.CreateHeader(&zip.FileHeader{Name: en.name, Method: method})
			if err != nil {
				t.Fatal(err)
			}
			ew.Write(en.b)
		}
		zw.Close()
		m, _, err := loadBytes(buf.Bytes())
		if err == nil {
			if deflated {
				t.Fatal("loaded a file with a deflated entry")
			}
			checkLoaded(t, m)
		} else if deflated && !strings.Contains(err.Error(), "is compressed (zip method 8)") {
			// Only a missing or duplicated entry comes before the method check.
			if !strings.Contains(err.Error(), "no ") && !strings.Contains(err.Error(), "twice") {
				t.Fatalf("a deflated entry gave %v", err)
			}
		}
	})
}
