package saving

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/safetensors"
)

// The format's identity. A file of a later version is refused with a
// message saying so.
const (
	formatName    = "tailor.model"
	formatVersion = 1
)

// The entries of a model file.
const (
	configEntry    = "config.json"
	weightsEntry   = "model.safetensors"
	optimizerEntry = "optimizer.safetensors"
	trainingEntry  = "training.json"
)

// Bounds that keep a damaged or hostile file from costing much
// (docs/limits.md lists every limit Tailor applies).
const (
	maxJSON        = 16 << 20 // config.json
	maxLayers      = 4096
	maxInputSize   = 1 << 26 // elements of one input example
	minParamBudget = 1 << 22 // see checkBudget
	// training.json, which only LoadCheckpoint reads, may hold a
	// callback's copy of the weights (base64, 4/3 of their bytes): it is
	// capped at trainingBase plus twice the size of model.safetensors.
	trainingBase = 16 << 20
)

// Limits on the memory a model read from a file may ask for.
const (
	// MaxReaderBytes caps what LoadReader reads into memory; write larger
	// model files to disk and Load them.
	MaxReaderBytes = 1 << 30
	// DefaultInferenceBatch is the most examples Predict and Evaluate take
	// at once by default (256): tailor.Model.DefaultBatchSize, fewer for a
	// model whose batch of 256 would exceed MaxActivationBytes.
	DefaultInferenceBatch = tailor.DefaultInferenceBatch
	// MaxActivationBytes caps the activations of one inference batch: the
	// sum over the layers of each layer's output per example (every layer
	// keeps its output), times the batch, times 4 bytes. Load refuses,
	// before the first batch runs, a model one example of which would
	// exceed it; Predict's and Evaluate's default batch is the most
	// examples, up to DefaultInferenceBatch, within it (models.Best takes
	// 200 MB for 256 examples; tailor train --images' CNN on 256×256
	// images 10 MB an image, 2.4 GiB for 256, and so runs in batches of
	// 106).
	MaxActivationBytes = tailor.MaxInferenceBytes
	// MaxTrainingActivationBytes caps the activations of one training
	// batch of a checkpoint's batch size, counted at three times the
	// layers' outputs (the forward outputs, the input gradients and what
	// backward keeps): LoadCheckpoint refuses a checkpoint over it.
	// models.Best at its batch of 64 takes 150 MB. It is the limit Fit
	// applies.
	MaxTrainingActivationBytes = tailor.MaxTrainingBytes
)

// Meta is what a model file records besides the model itself: what the
// outputs mean and how inputs must be prepared.
type Meta struct {
	// ClassNames names each output, indexed by class; empty when unknown.
	ClassNames []string `json:"class_names,omitempty"`
	// Preprocessing describes the images the model was trained on; nil
	// when unknown or when the model reads a table.
	Preprocessing *Preprocessing `json:"preprocessing,omitempty"`
	// Tabular is the fitted preprocessing of a model trained on a table
	// (tailor train --csv or --dataset): how the columns of a CSV row
	// become the model's inputs, and the target's classes. It is stored
	// in config.json under "tabular" and validated when the file is
	// loaded (preprocessing.ParsePipeline), against the model's input
	// width too; nil for other models.
	Tabular *preprocessing.Pipeline `json:"-"`
	// History is the per-epoch loss and metrics of the training that made
	// the model (what Fit returned), for reports; nil when not recorded.
	History *tailor.History `json:"-"`
	// Training describes that training; nil when not recorded.
	Training *Training `json:"training,omitempty"`
}

// Training is how a model was trained, for reports.
type Training struct {
	// Settings lists the recipe, epochs, batch size, seed, examples and
	// the like as the trainer chose to describe them, in the order a
	// report shows them.
	Settings []Setting `json:"settings,omitempty"`
	// Seconds is the wall time of the training.
	Seconds float64 `json:"seconds,omitempty"`
}

// Setting is one named training setting.
type Setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Preprocessing describes how raw images become the model's inputs.
type Preprocessing struct {
	// Rescale multiplies raw pixel values (0–255): 1/255 maps them to
	// [0, 1], as the tutorial does.
	Rescale float64 `json:"rescale"`
	// Polarity is the look of the training images: PolarityLightOnDark
	// for Fashion-MNIST's light articles on a black background.
	Polarity string `json:"polarity,omitempty"`
	// ColorMode is set for a model trained on a folder of one's own
	// images (datasets/imagefolder, tailor train --images): ColorRGB or
	// ColorGrayscale, what an image is converted to before it is resized
	// to the model's input height and width with Interpolation and
	// multiplied by Rescale. The model's input shape is then (height,
	// width, 3) or (height, width, 1). Empty for Fashion-MNIST's
	// preparation (preprocessing.LoadImage: grayscale, padded to a
	// square, area-averaged to 28×28, polarity matched).
	ColorMode string `json:"color_mode,omitempty"`
	// Interpolation is the resizing method, a preprocessing.Interpolation
	// ("bilinear", "nearest" or "area"), set with ColorMode.
	Interpolation string `json:"interpolation,omitempty"`
}

// Validate returns an error naming the field (by its key in config.json)
// and what it may hold when p is no preprocessing Load takes: a rescale
// that is not positive and at most 1e6 (0 or NaN would make every pixel
// of a request 0 or NaN), an unknown polarity, colour mode or
// interpolation (each would be read as another), an interpolation without
// a colour mode, or a polarity with one.
func (p *Preprocessing) Validate() error {
	if !(p.Rescale > 0) || p.Rescale > 1e6 {
		return fmt.Errorf("rescale %v: want a positive scale of the pixels 0–255 (1/255 maps them to [0, 1]), at most 1e6", p.Rescale)
	}
	switch p.Polarity {
	case "", PolarityLightOnDark, PolarityDarkOnLight:
	default:
		return fmt.Errorf("polarity %q, want %q or %q", p.Polarity, PolarityLightOnDark, PolarityDarkOnLight)
	}
	switch p.ColorMode {
	case "":
		if p.Interpolation != "" {
			return fmt.Errorf("interpolation %q without a color_mode", p.Interpolation)
		}
	case ColorRGB, ColorGrayscale:
		switch preprocessing.Interpolation(p.Interpolation) {
		case preprocessing.Bilinear, preprocessing.Nearest, preprocessing.Area:
		default:
			return fmt.Errorf("interpolation %q, want %q, %q or %q", p.Interpolation, preprocessing.Bilinear, preprocessing.Nearest, preprocessing.Area)
		}
		if p.Polarity != "" {
			return fmt.Errorf("polarity %q with color_mode %q: an image folder's images are not inverted", p.Polarity, p.ColorMode)
		}
	default:
		return fmt.Errorf("color_mode %q, want %q or %q", p.ColorMode, ColorRGB, ColorGrayscale)
	}
	return nil
}

// The colour modes Preprocessing names, as Keras's color_mode.
const (
	ColorRGB       = "rgb"
	ColorGrayscale = "grayscale"
)

// ImageFolder returns the Meta of a model trained on a folder of images
// by datasets/imagefolder: the class names, pixels scaled by rescale,
// converted to colorMode (ColorRGB or ColorGrayscale) and resized with
// interp.
func ImageFolder(classNames []string, colorMode string, interp preprocessing.Interpolation, rescale float64) Meta {
	return Meta{ClassNames: classNames, Preprocessing: &Preprocessing{Rescale: rescale, ColorMode: colorMode, Interpolation: string(interp)}}
}

// Table returns the Meta of a model trained on a table: the pipeline and
// its target's class names.
func Table(p *preprocessing.Pipeline) Meta {
	return Meta{ClassNames: p.ClassNames(), Tabular: p}
}

// The polarities Preprocessing names.
const (
	PolarityLightOnDark = "light_on_dark"
	PolarityDarkOnLight = "dark_on_light"
)

// FashionMNIST returns the Meta of a model trained as the tutorial trains
// it: the ten class names given, pixels scaled by 1/255, light articles on
// a dark background.
func FashionMNIST(classNames []string) Meta {
	return Meta{ClassNames: classNames, Preprocessing: &Preprocessing{Rescale: 1.0 / 255, Polarity: PolarityLightOnDark}}
}

// fileConfig is config.json.
type fileConfig struct {
	Format        string         `json:"format"`
	FormatVersion int            `json:"format_version"`
	Model         modelConfig    `json:"model"`
	Compile       *compileConfig `json:"compile_config,omitempty"`
	Meta
	// History is Meta.History.
	History *historyJSON `json:"history,omitempty"`
	// Tabular is Meta.Tabular, decoded and validated after the rest.
	Tabular json.RawMessage `json:"tabular,omitempty"`
}

type modelConfig struct {
	ClassName string `json:"class_name"`
	Config    struct {
		Name            string        `json:"name"`
		Seed            uint64        `json:"seed"`
		BuildInputShape []int         `json:"build_input_shape"`
		Layers          []classConfig `json:"layers"`
	} `json:"config"`
}

// classConfig is Keras's {"class_name": ..., "config": {...}}.
type classConfig struct {
	ClassName string         `json:"class_name"`
	Config    map[string]any `json:"config"`
}

type compileConfig struct {
	Optimizer classConfig   `json:"optimizer"`
	Loss      namedConfig   `json:"loss"`
	Metrics   []namedConfig `json:"metrics"`
}

// namedConfig is a compiled loss or metric: its name alone, as Keras
// writes one compiled by name, or {"class_name": name, "config": {...}}
// when it has options.
type namedConfig classConfig

// MarshalJSON writes the bare name when the loss has no options.
func (l namedConfig) MarshalJSON() ([]byte, error) {
	if len(l.Config) == 0 {
		return json.Marshal(l.ClassName)
	}
	return json.Marshal(classConfig(l))
}

// UnmarshalJSON reads either form.
func (l *namedConfig) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		*l = namedConfig{ClassName: name}
		return nil
	}
	var c classConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("want a name or {\"class_name\", \"config\"}: %w", err)
	}
	*l = namedConfig(c)
	return nil
}

// Save writes the model, its optimizer's state and meta to a model file at
// path, atomically. The model must be built. Save reads the weights and
// the optimizer's state as they stand: call it between training steps (a
// callback of Fit, as callbacks.ModelCheckpoint does, or after Fit), not
// while another goroutine trains the model (Model.GetWeights copies the
// weights safely then).
func Save(path string, m *tailor.Model, meta Meta) error {
	return atomicfile.Write(path, func(w io.Writer) error { return SaveTo(w, m, meta) })
}

// SaveTo writes the model file to w. The output depends only on the model
// and meta: saving twice gives the same bytes.
func SaveTo(w io.Writer, m *tailor.Model, meta Meta) error {
	return writeArchive(w, m, meta, nil)
}

// writeArchive writes the zip, with training.json when training is not nil.
func writeArchive(w io.Writer, m *tailor.Model, meta Meta, training []byte) error {
	cfg, err := configOf(m, meta)
	if err != nil {
		return err
	}
	weights, err := weightTensors(m)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	entry := func(name string) (io.Writer, error) {
		// Stored, not deflated: float weights barely compress, and stored
		// entries keep the safetensors bytes verbatim inside the archive.
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	}
	ew, err := entry(configEntry)
	if err != nil {
		return fmt.Errorf("saving: %w", err)
	}
	if _, err := ew.Write(cfg); err != nil {
		return fmt.Errorf("saving: %w", err)
	}
	if ew, err = entry(weightsEntry); err != nil {
		return fmt.Errorf("saving: %w", err)
	}
	if err := safetensors.Write(ew, weights, map[string]string{"format": "tailor"}); err != nil {
		return fmt.Errorf("saving the weights: %w", err)
	}
	if opt, ok := m.Optimizer().(optimizers.Stateful); ok {
		tensors, meta := optimizerTensors(m, opt)
		if ew, err = entry(optimizerEntry); err != nil {
			return fmt.Errorf("saving: %w", err)
		}
		if err := safetensors.Write(ew, tensors, meta); err != nil {
			return fmt.Errorf("saving the optimizer state: %w", err)
		}
	}
	if training != nil {
		if ew, err = entry(trainingEntry); err != nil {
			return fmt.Errorf("saving: %w", err)
		}
		if _, err := ew.Write(training); err != nil {
			return fmt.Errorf("saving: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("saving: %w", err)
	}
	return nil
}

// configOf returns config.json for the model.
func configOf(m *tailor.Model, meta Meta) ([]byte, error) {
	if !m.Built() {
		return nil, errors.New("saving: the model is not built: build, fit or compile it with a known input shape first")
	}
	if err := checkMeta(meta, m); err != nil {
		return nil, fmt.Errorf("saving: %w", err)
	}
	fc := fileConfig{Format: formatName, FormatVersion: formatVersion, Meta: meta}
	if p := meta.Tabular; p != nil {
		b, err := tabularJSON(p)
		if err != nil {
			return nil, fmt.Errorf("saving: %w", err)
		}
		fc.Tabular = b
	}
	if meta.History != nil {
		hj := historyOf(meta.History)
		if err := hj.check(); err != nil {
			return nil, fmt.Errorf("saving: %w", err)
		}
		fc.History = &hj
	}
	fc.Model.ClassName = "Sequential"
	fc.Model.Config.Name = m.Name()
	fc.Model.Config.Seed = m.Seed()
	fc.Model.Config.BuildInputShape = append([]int{}, m.InputShape()...)
	// The layers' names are checked by weightTensors, which writeArchive
	// calls next.
	for _, l := range m.Layers() {
		if _, err := layers.FromConfig(l.Type(), l.Config()); err != nil {
			return nil, fmt.Errorf("saving: layer %s cannot be restored from its config (register its type with layers.Register): %w", l.Name(), err)
		}
		fc.Model.Config.Layers = append(fc.Model.Config.Layers, classConfig{ClassName: l.Type(), Config: l.Config()})
	}
	if opt := m.Optimizer(); opt != nil {
		loss := m.Loss()
		cc := &compileConfig{Optimizer: classConfig{ClassName: opt.Name(), Config: opt.Config()}, Loss: namedConfig{ClassName: loss.Name(), Config: loss.Config()}, Metrics: []namedConfig{}}
		if _, err := losses.FromConfig(loss.Name(), loss.Config()); err != nil {
			return nil, fmt.Errorf("saving: the loss cannot be restored from its config: %w", err)
		}
		if _, err := optimizers.FromConfig(opt.Name(), opt.Config()); err != nil {
			return nil, fmt.Errorf("saving: the optimizer cannot be restored from its config: %w", err)
		}
		for _, mt := range m.Metrics() {
			if _, err := metrics.FromConfig(mt.Name(), mt.Config()); err != nil {
				return nil, fmt.Errorf("saving: the metric cannot be restored from its config: %w", err)
			}
			cc.Metrics = append(cc.Metrics, namedConfig{ClassName: mt.Name(), Config: mt.Config()})
		}
		fc.Compile = cc
	}
	b, err := json.MarshalIndent(fc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("saving: encoding config.json: %w", err)
	}
	return append(b, '\n'), nil
}

// checkLayerName requires layer names that make unambiguous weight names.
func checkLayerName(name string, seen map[string]bool) error {
	switch {
	case name == "" || len(name) > 256:
		return fmt.Errorf("layer name %q, want 1 to 256 characters", name)
	case bytes.ContainsAny([]byte(name), "/\x00"):
		return fmt.Errorf("layer name %q contains a slash or a NUL", name)
	case seen[name]:
		return fmt.Errorf("two layers are named %q", name)
	}
	seen[name] = true
	return nil
}

// tabularJSON validates a table's fitted pipeline and encodes it as
// config.json and ExportONNX's metadata keep it.
func tabularJSON(p *preprocessing.Pipeline) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("Meta.Tabular: %w", err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("Meta.Tabular: %w", err)
	}
	return b, nil
}

// checkMeta requires meta to fit the built model m: one class name per
// output, or two for a single output (a sigmoid's probability of class 1),
// and preprocessing that gives inputs of the model's shape — one feature
// per encoded column of a table, images of (height, width, channels) for
// an image folder's colour mode. It also requires a table's class names to
// be its target's.
func checkMeta(meta Meta, m *tailor.Model) error {
	if out := m.OutputShape(); len(meta.ClassNames) > 0 &&
		(len(out) != 1 || out[0] != len(meta.ClassNames) && !(out[0] == 1 && len(meta.ClassNames) == 2)) {
		return fmt.Errorf("%d class names for outputs of shape %v", len(meta.ClassNames), out)
	}
	in := m.InputShape()
	if p := meta.Tabular; p != nil {
		if meta.Preprocessing != nil {
			return errors.New("both tabular and image preprocessing")
		}
		if w := len(p.FeatureNames()); len(in) != 1 || in[0] != w {
			return fmt.Errorf("tabular: the pipeline gives %d features, but the model's input shape is %v", w, in)
		}
		if classes := p.ClassNames(); len(meta.ClassNames) > 0 && len(classes) > 0 && !slices.Equal(classes, meta.ClassNames) {
			return fmt.Errorf("tabular: the target's classes %q are not the class names %q", classes, meta.ClassNames)
		}
	}
	if p := meta.Preprocessing; p != nil && p.ColorMode != "" {
		c := 3
		if p.ColorMode == ColorGrayscale {
			c = 1
		}
		if len(in) != 3 || in[2] != c {
			return fmt.Errorf("preprocessing: color_mode %q gives images of %d channels, but the model's input shape is %v, want (height, width, %d)", p.ColorMode, c, in, c)
		}
	}
	return nil
}

// Load reads the model file at path and returns the model — built, with
// its weights, and compiled with its optimizer and that optimizer's state
// when it was saved compiled — and its Meta.
func Load(path string) (*tailor.Model, Meta, error) {
	c, err := readFile(path, false)
	if err != nil {
		return nil, Meta{}, err
	}
	return c.model, c.meta, nil
}

// LoadFrom reads a model file of the given size from r, as Load does.
func LoadFrom(r io.ReaderAt, size int64) (*tailor.Model, Meta, error) {
	c, err := read(r, size, false)
	if err != nil {
		return nil, Meta{}, err
	}
	return c.model, c.meta, nil
}

// LoadReader reads a whole model file from r, which need not seek (a pipe,
// an HTTP body), into memory and loads it as Load does. It reads at most
// MaxReaderBytes, and refuses a stream that does not begin as a model
// file does (a zip entry's header) from its first four bytes.
func LoadReader(r io.Reader) (*tailor.Model, Meta, error) {
	return loadReader(r, MaxReaderBytes)
}

// loadReader is LoadReader with a cap of limit bytes.
func loadReader(r io.Reader, limit int64) (*tailor.Model, Meta, error) {
	// A stream that does not begin as a model file does is refused from
	// its first bytes, not after up to limit of it are in memory.
	var head [len(zipLocalHeader)]byte
	n, err := io.ReadFull(r, head[:])
	if err := checkZipStart(head[:n], err); err != nil {
		return nil, Meta{}, err
	}
	b, err := io.ReadAll(io.MultiReader(bytes.NewReader(head[:]), io.LimitReader(r, limit+1-int64(n))))
	if err != nil {
		return nil, Meta{}, fmt.Errorf("loading: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, Meta{}, fmt.Errorf("loading: the model file is larger than LoadReader's limit of %d MiB; save it to a file and use Load", limit>>20)
	}
	return LoadFrom(bytes.NewReader(b), int64(len(b)))
}

// zipLocalHeader is the signature a model file begins with: that of its
// first entry's local header (Tailor writes no prefix, and a zip of no
// entries holds no config.json).
const zipLocalHeader = "PK\x03\x04"

// checkZipStart checks the first bytes of a model file, head, read with
// err.
func checkZipStart(head []byte, err error) error {
	if string(head) == zipLocalHeader {
		return nil
	}
	if len(head) < len(zipLocalHeader) && err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("loading: %w", err)
	}
	return fmt.Errorf("loading: not a Tailor model file (a zip archive): it begins with %q, not a zip entry's header %q", head, zipLocalHeader)
}

// entryNames are the entries a model file may hold, each at most once.
var entryNames = []string{configEntry, weightsEntry, optimizerEntry, trainingEntry}

// maxDirectoryRead bounds what zip.NewReader may read of an archive: the
// end record (at most 65,557 bytes with its comment, and zip64's) and a
// central directory of entryNames' four entries, 786,604 bytes even with
// the longest names, extra fields and comments. zip.NewReader reads every
// header that follows the directory's start, whatever the end record
// counts, allocating for each: a file of millions of empty entries would
// cost several times its size before the first of them is checked.
const maxDirectoryRead = 1 << 20

// errDirectoryTooLarge is directoryReader's error past its bound.
var errDirectoryTooLarge = errors.New("central directory too large")

// directoryReader reads through r, failing once left bytes have been
// read; left < 0 is no bound.
type directoryReader struct {
	r    io.ReaderAt
	left int64
}

// ReadAt reads from d.r, or returns errDirectoryTooLarge, reading
// nothing, when p is longer than what is left.
func (d *directoryReader) ReadAt(p []byte, off int64) (int, error) {
	if d.left < 0 {
		return d.r.ReadAt(p, off)
	}
	if int64(len(p)) > d.left {
		return 0, errDirectoryTooLarge
	}
	n, err := d.r.ReadAt(p, off)
	d.left -= int64(n)
	return n, err
}

// contents is a model file, read and checked.
type contents struct {
	model    *tailor.Model
	meta     Meta
	training []byte // training.json when asked for and present, or nil
	// activations is the sum of the layers' output sizes per example.
	activations int64
}

// readFile reads the model file at path; training.json too when
// withTraining is set, for resuming.
func readFile(path string, withTraining bool) (*contents, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("loading: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("loading %s: not a regular file", path)
	}
	c, err := read(f, st.Size(), withTraining)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return c, nil
}

// read reads and checks the archive: config.json and the weights, and
// training.json when withTraining is set (only resuming needs it; a model
// file may carry one, unread).
func read(r io.ReaderAt, size int64, withTraining bool) (*contents, error) {
	var head [len(zipLocalHeader)]byte
	n, err := r.ReadAt(head[:], 0)
	if err := checkZipStart(head[:n], err); err != nil {
		return nil, err
	}
	dr := &directoryReader{r: r, left: maxDirectoryRead}
	zr, err := zip.NewReader(dr, size)
	dr.left = -1 // the entries are read through dr too, unbounded
	if errors.Is(err, errDirectoryTooLarge) {
		return nil, fmt.Errorf("loading: the zip archive's central directory is more than %d KiB, more than a model file's %d entries take: not a Tailor model file", maxDirectoryRead>>10, len(entryNames))
	}
	if err != nil {
		return nil, fmt.Errorf("loading: not a Tailor model file (a zip archive): %w", err)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		if !slices.Contains(entryNames, f.Name) {
			return nil, fmt.Errorf("loading: unexpected entry %q in the model file", f.Name)
		}
		if files[f.Name] != nil {
			return nil, fmt.Errorf("loading: the model file holds %q twice", f.Name)
		}
		// Tailor stores entries uncompressed, so that none can inflate
		// past the file's own size; it refuses any other method rather
		// than trust a declared size.
		if f.Method != zip.Store {
			return nil, fmt.Errorf("loading: %s is compressed (zip method %d); Tailor writes and reads only stored entries (zip -0)", f.Name, f.Method)
		}
		if f.CompressedSize64 != f.UncompressedSize64 || f.UncompressedSize64 > uint64(size) {
			return nil, fmt.Errorf("loading: %s claims %d bytes (%d stored) in a %d-byte file: the file is damaged", f.Name, f.UncompressedSize64, f.CompressedSize64, size)
		}
		files[f.Name] = f
	}
	for _, name := range []string{configEntry, weightsEntry} {
		if files[name] == nil {
			return nil, fmt.Errorf("loading: the model file has no %s", name)
		}
	}

	cfgBytes, err := readEntry(files[configEntry], maxJSON)
	if err != nil {
		return nil, err
	}
	fc, err := parseConfig(cfgBytes)
	if err != nil {
		return nil, err
	}
	maxWeights := tensorsPerLayer * len(fc.Model.Config.Layers)
	weights, err := readTensors(files[weightsEntry], maxWeights)
	if err != nil {
		return nil, err
	}
	var opt *safetensors.File
	if f := files[optimizerEntry]; f != nil {
		if opt, err = readTensors(f, slotsPerWeight*maxWeights); err != nil {
			return nil, err
		}
	}
	c := &contents{meta: fc.Meta}
	if f := files[trainingEntry]; f != nil && withTraining {
		limit := trainingBase + 2*int64(files[weightsEntry].UncompressedSize64)
		if c.training, err = readEntry(f, limit); err != nil {
			return nil, err
		}
	}
	if c.model, err = buildModel(fc, weights, opt, &c.activations); err != nil {
		return nil, err
	}
	if err := checkMeta(c.meta, c.model); err != nil {
		return nil, fmt.Errorf("loading config.json: %w", err)
	}
	return c, nil
}

// readEntry reads a whole entry of at most limit bytes, checking its
// checksum.
func readEntry(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("loading: %s is %d bytes, more than the limit of %d", f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", f.Name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("loading: %s is more than %d bytes", f.Name, limit)
	}
	return b, nil
}

// Bounds on a model file's safetensors entries, whose every entry costs a
// few hundred bytes parsed: a header of the reference's length could hold
// millions. A layer has a few weights (BatchNormalization four), a weight
// one buffer per slot of its optimizer (Adam's m and v, a moving
// average's), and Tailor writes one or two metadata entries.
const (
	tensorsPerLayer = 64
	slotsPerWeight  = 8
	maxEntryMeta    = 64
)

// readTensors reads a safetensors entry of at most maxTensors tensors,
// checking its checksum. The entry is stored (read checks), so it is at
// most as large as the file, and its tensors at most as large as the entry.
func readTensors(f *zip.File, maxTensors int) (*safetensors.File, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", f.Name, err)
	}
	defer rc.Close()
	n := int64(f.UncompressedSize64)
	t, err := safetensors.Read(rc, safetensors.Limits{MaxHeader: min(safetensors.DefaultMaxHeader, n), MaxData: max(n, 1), MaxTensors: maxTensors, MaxMetadata: maxEntryMeta})
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", f.Name, err)
	}
	return t, nil
}

// parseConfig decodes and checks config.json.
func parseConfig(b []byte) (*fileConfig, error) {
	// A real config holds a few hundred numbers.
	var fc fileConfig
	if err := decodeEntry(configEntry, b, &fc, true); err != nil {
		return nil, err
	}
	switch {
	case fc.Format != formatName:
		return nil, fmt.Errorf("loading config.json: format %q, want %q", fc.Format, formatName)
	case fc.FormatVersion > formatVersion:
		return nil, fmt.Errorf("loading config.json: format version %d is newer than this Tailor's %d: upgrade Tailor", fc.FormatVersion, formatVersion)
	case fc.FormatVersion < 1:
		return nil, fmt.Errorf("loading config.json: format version %d", fc.FormatVersion)
	case fc.Model.ClassName != "Sequential":
		return nil, fmt.Errorf("loading config.json: model class %q, want Sequential", fc.Model.ClassName)
	case len(fc.Model.Config.Layers) == 0 || len(fc.Model.Config.Layers) > maxLayers:
		return nil, fmt.Errorf("loading config.json: %d layers, want 1 to %d", len(fc.Model.Config.Layers), maxLayers)
	}
	in := fc.Model.Config.BuildInputShape
	size := 1
	for _, d := range in {
		if d <= 0 || d > maxInputSize {
			return nil, fmt.Errorf("loading config.json: input shape %v", in)
		}
		if size *= d; size > maxInputSize {
			return nil, fmt.Errorf("loading config.json: input shape %v is larger than %d elements", in, maxInputSize)
		}
	}
	if len(in) == 0 || len(in) > 8 {
		return nil, fmt.Errorf("loading config.json: input shape %v, want 1 to 8 axes", in)
	}
	if fc.History != nil {
		if err := fc.History.check(); err != nil {
			return nil, fmt.Errorf("loading config.json: %w", err)
		}
		fc.Meta.History = fc.History.history()
	}
	if t := fc.Training; t != nil && (!(t.Seconds >= 0) || math.IsInf(t.Seconds, 0) || len(t.Settings) > 256) {
		return nil, fmt.Errorf("loading config.json: training %+v: want seconds ≥ 0 and at most 256 settings", *t)
	}
	if p := fc.Preprocessing; p != nil {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("loading config.json: preprocessing %w", err)
		}
	}
	if len(fc.Tabular) > 0 {
		p, err := preprocessing.ParsePipeline(fc.Tabular)
		if err != nil {
			return nil, fmt.Errorf("loading config.json: tabular: %w", err)
		}
		fc.Meta.Tabular = p
	}
	return &fc, nil
}

// buildModel rebuilds the model config.json describes and gives it the
// weights and the optimizer state. It sets *activations to the sum of the
// layers' output sizes per example (see checkBudget).
func buildModel(fc *fileConfig, weights, opt *safetensors.File, activations *int64) (*tailor.Model, error) {
	var ls []layers.Layer
	names := map[string]bool{}
	for i, lc := range fc.Model.Config.Layers {
		if lc.Config == nil {
			return nil, fmt.Errorf("loading config.json: layer %d (%s) has no config", i, lc.ClassName)
		}
		l, err := layers.FromConfig(lc.ClassName, lc.Config)
		if err != nil {
			return nil, fmt.Errorf("loading config.json: layer %d: %w", i, err)
		}
		if err := checkLayerName(l.Name(), names); err != nil {
			return nil, fmt.Errorf("loading config.json: layer %d: %w", i, err)
		}
		ls = append(ls, l)
	}
	var err error
	if *activations, err = checkBudget(ls, fc.Model.Config.BuildInputShape, weights); err != nil {
		return nil, err
	}
	m := tailor.Sequential(ls...)
	if err := m.SetSeed(fc.Model.Config.Seed); err != nil {
		return nil, fmt.Errorf("loading: %w", err)
	}
	if err := m.Build(fc.Model.Config.BuildInputShape...); err != nil {
		return nil, fmt.Errorf("loading: %w", err)
	}
	if err := setWeights(m, weights); err != nil {
		return nil, fmt.Errorf("loading %s: %w", weightsEntry, err)
	}
	if fc.Compile == nil {
		if opt != nil {
			return nil, fmt.Errorf("loading: the model file has an optimizer state but no compile_config")
		}
		return m, nil
	}
	cc := fc.Compile
	if cc.Optimizer.Config == nil {
		cc.Optimizer.Config = map[string]any{}
	}
	o, err := optimizers.FromConfig(cc.Optimizer.ClassName, cc.Optimizer.Config)
	if err != nil {
		return nil, fmt.Errorf("loading config.json: compile_config: %w", err)
	}
	loss, err := losses.FromConfig(cc.Loss.ClassName, cc.Loss.Config)
	if err != nil {
		return nil, fmt.Errorf("loading config.json: compile_config: %w", err)
	}
	var ms []metrics.Metric
	for _, mc := range cc.Metrics {
		mt, err := metrics.FromConfig(mc.ClassName, mc.Config)
		if err != nil {
			return nil, fmt.Errorf("loading config.json: compile_config: %w", err)
		}
		ms = append(ms, mt)
	}
	if err := m.Compile(o, loss, ms...); err != nil {
		return nil, fmt.Errorf("loading: %w", err)
	}
	if opt != nil {
		if err := setOptimizerState(m, opt); err != nil {
			return nil, fmt.Errorf("loading %s: %w", optimizerEntry, err)
		}
	}
	return m, nil
}

// checkBudget refuses, before anything is allocated, a configuration that
// asks for far more weights than the file holds, or for more activations
// than MaxActivationBytes allows. A layer's weights number at most its
// input's last axis times the product of its units, filters and
// kernel_size (exactly that for Dense and Conv2D, without the bias);
// summed over the layers, that may exceed the weights in the file only by
// a wide margin for the layers' bookkeeping. Each layer's output, known
// once it is built, adds to the activations of an example: their sum, for
// one example of 4-byte values, must fit MaxActivationBytes (Predict then
// runs in batches that fit: tailor.Model.DefaultBatchSize). Building the layers one by one to learn each one's
// input shape costs one extra build of a model that passes. It returns the
// activations per example.
func checkBudget(ls []layers.Layer, in []int, weights *safetensors.File) (int64, error) {
	var held int64
	for _, t := range weights.Tensors {
		held += int64(len(t.Data))
	}
	budget := max(16*held, minParamBudget)
	const maxPerExample = MaxActivationBytes / 4
	var asked, activations int64
	shape := append([]int(nil), in...)
	wb := params.NewBuilder() // declares the weights without allocating them
	for _, l := range ls {
		est := int64(shape[len(shape)-1])
		cfg := l.Config()
		for _, key := range []string{"units", "filters", "kernel_size"} {
			for _, v := range intsOf(cfg[key]) {
				est *= int64(max(v, 1))
				if est > budget {
					break
				}
			}
		}
		if asked += est; asked > budget {
			return 0, fmt.Errorf("loading: layer %s asks for about %d weights but the file holds %d: config.json does not match the weights", l.Name(), est, held)
		}
		wb.SetLayer(l.Name())
		out, err := l.Build(shape, wb)
		if err != nil {
			return 0, fmt.Errorf("loading: building layer %s: %w", l.Name(), err)
		}
		if len(out) == 0 {
			return 0, fmt.Errorf("loading: layer %s has an empty output shape", l.Name())
		}
		size := int64(1) // saturating at 2⁴⁰, far above the limit
		for _, d := range out {
			if d := int64(max(d, 0)); d != 0 && size > (1<<40)/d {
				size = 1 << 40
			} else {
				size *= d
			}
		}
		if activations += size; activations > maxPerExample {
			return 0, fmt.Errorf("loading: the layers up to %s output %d values per example: one example would take %d MiB of activations, more than the limit of %d MiB (saving.MaxActivationBytes)",
				l.Name(), activations, activations*4>>20, MaxActivationBytes>>20)
		}
		shape = out
	}
	return activations, nil
}

// intsOf returns the integers in a config value: an int or a list of ints.
func intsOf(v any) []int {
	switch x := v.(type) {
	case int:
		return []int{x}
	case []int:
		return x
	case [2]int:
		return x[:]
	}
	return nil
}
