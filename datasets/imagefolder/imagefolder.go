// Package imagefolder reads a directory of one's own images as a dataset,
// as Keras's keras.utils.image_dataset_from_directory does:
//
//	flowers/
//	  daisy/     img_001.jpg img_002.png ...
//	  roses/     ...
//	  tulips/    ...
//
// Each subdirectory of the root is a class, except hidden ones (a name
// starting with ".", such as .git or .ipynb_checkpoints), which Keras
// leaves out too; the classes are named after the subdirectories, sorted
// (label 0 is the first name), unless Options.ClassNames lists them. A root with fewer than two class
// folders is an error unless Options.ClassNames names the classes. The
// images of a class are the files, anywhere below its subdirectory, whose
// names end (in any case) in .png, .jpg, .jpeg, .gif or .bmp — Keras's
// list; a GIF gives its first frame. Other files are skipped, as Keras
// skips them, and counted in Dataset.Skipped; files directly in the root
// are skipped too. The order is deterministic: class by class, each
// class's files sorted by path.
//
// Symbolic links are followed as Keras's default (follow_links=False)
// follows them: a class subdirectory may be a link to a directory, and a
// link to a file below it is an image like the file, but a link to a
// directory below it is not descended into (it counts as a skipped file),
// so no walk can loop. Files keeps the paths through the links.
//
// Load checks every file's header up front, so that an unreadable or
// oversized image is an error naming the file before training starts,
// and returns a Dataset that decodes images when they are gathered: each
// is converted to the colour mode (rgb, or grayscale as ITU-R 601 luma;
// alpha dropped) and resized to Options.Height × Options.Width (256 × 256
// by default, as in Keras) with bilinear interpolation, the
// channels-last shape (H, W, C) with C = 3 or 1. Options.Cache keeps the
// decoded images in memory after their first use (H·W·C·4 bytes each).
//
// Unlike Keras, which returns pixel values 0–255 and leaves the scaling
// to a Rescaling layer, the pixels are multiplied by Options.Rescale,
// 1/255 by default as Tailor's other image inputs are; Rescale = 1 gives
// Keras's values.
//
// With Options.ValidationSplit = v, the examples are shuffled with
// Options.Seed and the last ⌊v·N⌋ become the validation set, as Keras's
// subset="both" with the same seed does (Keras shuffles with numpy, so the
// two do not pick the same files).
//
// An empty root, a root of one class folder, a class folder without
// images, a non-directory root and a file that cannot be decoded are
// errors naming the path.
package imagefolder

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // register the decoders Keras's list needs
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	_ "golang.org/x/image/bmp"

	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/tensor"
)

// ColorMode is how many channels the images get, in Keras's words.
type ColorMode string

// The colour modes.
const (
	RGB       ColorMode = "rgb" // three channels, the default
	Grayscale ColorMode = "grayscale"
)

// Formats are the file name endings Load takes for images, Keras's list.
var formats = []string{".bmp", ".gif", ".jpeg", ".jpg", ".png"}

// Limits. One image is bounded as preprocessing's LoadImage bounds it,
// by preprocessing.MaxFileBytes, MaxPixels and MaxDecodedBytes (what the
// decoder would allocate, estimated from the header).
const (
	// DefaultMaxFiles bounds the images of one Load.
	DefaultMaxFiles = 1_000_000
	maxSide         = 8192 // of the target size
)

// Options configures Load. The zero value gives Keras's defaults (RGB,
// 256×256, bilinear, shuffled before any validation split) with pixels
// scaled to [0, 1].
type Options struct {
	// Height and Width are the size images are resized to; 256 when zero.
	Height, Width int
	// ColorMode is RGB (the default) or Grayscale.
	ColorMode ColorMode
	// Interpolation is the resizing method; preprocessing.Bilinear when
	// empty.
	Interpolation preprocessing.Interpolation
	// Rescale multiplies the 0–255 pixel values; 1/255 when zero.
	Rescale float32
	// ClassNames, if set, are the subdirectories to use, in label order;
	// by default every subdirectory but hidden ones, sorted, of which
	// there must be at least two. Naming a single class here loads it
	// alone.
	ClassNames []string
	// ValidationSplit, in [0, 1), is the fraction of examples held out.
	ValidationSplit float64
	// Seed seeds the shuffle before the split.
	Seed uint64
	// NoShuffle keeps the deterministic file order before the split (the
	// validation set is then the last files of the last classes).
	NoShuffle bool
	// Cache keeps decoded images in memory once gathered.
	Cache bool
	// MaxFiles bounds the number of images; DefaultMaxFiles when zero.
	MaxFiles int
}

// Dataset is the images of a directory with their class labels. It
// implements datasets.Dataset: Gather decodes (or, with Options.Cache,
// recalls) the images asked for. It may be used from many goroutines.
type Dataset struct {
	// ClassNames names the classes, indexed by label.
	ClassNames []string
	// Files holds each example's path, Labels its class.
	Files  []string
	Labels []int32
	// Skipped counts the files that are not images (by name) in the whole
	// directory, the same for both sets of a split.
	Skipped int

	h, w, c int
	interp  preprocessing.Interpolation
	rescale float32
	cache   *cache
}

// cache holds decoded images by file, shared by the sets of a split.
type cache struct {
	mu     sync.Mutex
	images map[string][]float32
}

func (o *Options) defaults() error {
	if o.Height == 0 {
		o.Height = 256
	}
	if o.Width == 0 {
		o.Width = 256
	}
	if o.Height < 0 || o.Width < 0 || o.Height > maxSide || o.Width > maxSide {
		return fmt.Errorf("image size %d×%d, want 1 to %d on each side", o.Height, o.Width, maxSide)
	}
	if o.ColorMode == "" {
		o.ColorMode = RGB
	}
	if o.ColorMode != RGB && o.ColorMode != Grayscale {
		return fmt.Errorf("color mode %q, want %q or %q", o.ColorMode, RGB, Grayscale)
	}
	if o.Interpolation == "" {
		o.Interpolation = preprocessing.Bilinear
	}
	switch o.Interpolation {
	case preprocessing.Bilinear, preprocessing.Nearest, preprocessing.Area:
	default:
		return fmt.Errorf("interpolation %q, want %q, %q or %q", o.Interpolation, preprocessing.Bilinear, preprocessing.Nearest, preprocessing.Area)
	}
	if o.Rescale == 0 {
		o.Rescale = 1.0 / 255
	}
	if !(o.ValidationSplit >= 0 && o.ValidationSplit < 1) {
		return fmt.Errorf("validation split %v, want a fraction in [0, 1)", o.ValidationSplit)
	}
	if o.MaxFiles < 0 {
		return fmt.Errorf("Options.MaxFiles is %d, want a positive limit or 0 for the default", o.MaxFiles)
	}
	if o.MaxFiles == 0 {
		o.MaxFiles = DefaultMaxFiles
	}
	return nil
}

// Load indexes the directory dir and checks its images, returning the
// training set and, when opts.ValidationSplit > 0, the validation set (nil
// otherwise).
func Load(dir string, opts Options) (train, validation *Dataset, err error) {
	if err := opts.defaults(); err != nil {
		return nil, nil, fmt.Errorf("imagefolder: %w", err)
	}
	classes, skipped, err := classDirs(dir, opts.ClassNames)
	if err != nil {
		return nil, nil, err
	}
	all := &Dataset{ClassNames: classes, h: opts.Height, w: opts.Width, c: 3, interp: opts.Interpolation, rescale: opts.Rescale}
	if opts.ColorMode == Grayscale {
		all.c = 1
	}
	if opts.Cache {
		all.cache = &cache{images: map[string][]float32{}}
	}
	for label, class := range classes {
		files, s, err := images(filepath.Join(dir, class), opts.MaxFiles-len(all.Files))
		if err != nil {
			return nil, nil, err
		}
		if len(files) == 0 {
			return nil, nil, fmt.Errorf("imagefolder: class folder %s holds no images (want files ending in %s)", filepath.Join(dir, class), strings.Join(formats, ", "))
		}
		skipped += s
		all.Files = append(all.Files, files...)
		for range files {
			all.Labels = append(all.Labels, int32(label))
		}
	}
	all.Skipped = skipped
	for _, f := range all.Files {
		if err := checkHeader(f); err != nil {
			return nil, nil, err
		}
	}
	n := len(all.Files)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if !opts.NoShuffle {
		rng := rand.New(rand.NewPCG(opts.Seed, 0x696d_6167_6573)) // "images"
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	nVal := int(opts.ValidationSplit * float64(n))
	if opts.ValidationSplit > 0 && (nVal == 0 || nVal == n) {
		return nil, nil, fmt.Errorf("imagefolder: a validation split of %v of %d images leaves %d for validation, want at least one in each set", opts.ValidationSplit, n, nVal)
	}
	train = all.subset(order[:n-nVal])
	if nVal > 0 {
		validation = all.subset(order[n-nVal:])
	}
	return train, validation, nil
}

// subset returns the examples idx of d.
func (d *Dataset) subset(idx []int) *Dataset {
	s := *d
	s.Files, s.Labels = make([]string, len(idx)), make([]int32, len(idx))
	for i, j := range idx {
		s.Files[i], s.Labels[i] = d.Files[j], d.Labels[j]
	}
	return &s
}

// classDirs returns the class subdirectories of dir and the number of
// plain files directly in it.
func classDirs(dir string, named []string) (classes []string, skipped int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("imagefolder: %w", err)
	}
	for _, e := range entries {
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			if fi, err := os.Stat(filepath.Join(dir, e.Name())); err == nil {
				isDir = fi.IsDir()
			}
		}
		switch {
		case isDir && strings.HasPrefix(e.Name(), "."):
			// A hidden directory (.git, .ipynb_checkpoints) is no class,
			// as Keras's index_directory leaves it out.
		case isDir:
			classes = append(classes, e.Name())
		default:
			skipped++
		}
	}
	slices.Sort(classes)
	if len(named) > 0 {
		for _, c := range named {
			if !slices.Contains(classes, c) {
				return nil, 0, fmt.Errorf("imagefolder: Options.ClassNames names %q, but %s has no such subdirectory (it has %q)", c, dir, classes)
			}
		}
		if len(slices.Compact(slices.Sorted(slices.Values(named)))) != len(named) {
			return nil, 0, fmt.Errorf("imagefolder: Options.ClassNames %q repeats a name", named)
		}
		classes = slices.Clone(named)
	}
	if len(classes) == 0 {
		return nil, 0, fmt.Errorf("imagefolder: %s has no subdirectories: put each class's images in a folder of its own (%s/cats/, %s/dogs/, ...)", dir, dir, dir)
	}
	if len(classes) == 1 && len(named) == 0 {
		// Training on one class learns nothing and reports a perfect score.
		return nil, 0, fmt.Errorf("imagefolder: %s has 1 class folder %q, want at least 2: put each class's images in a folder of its own (%s/cats/, %s/dogs/, ...)", dir, classes, dir, dir)
	}
	return classes, skipped, nil
}

// images returns the image files below dir, sorted by path, and the number
// of other files; at most max images. Dir may be a symbolic link to a
// directory; links to files below it are followed, links to directories
// are not (they count as other files), so the walk cannot cycle.
func images(dir string, max int) (files []string, skipped int, err error) {
	// WalkDir does not descend into a root that is a link: walk the
	// directory it resolves to, naming the files below dir.
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("imagefolder: %w", err)
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				skipped++
				return nil
			}
		} else if !d.Type().IsRegular() {
			skipped++
			return nil
		}
		name := strings.ToLower(d.Name())
		if !slices.ContainsFunc(formats, func(f string) bool { return strings.HasSuffix(name, f) }) {
			skipped++
			return nil
		}
		if len(files) >= max {
			return fmt.Errorf("more than Options.MaxFiles images")
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.Join(dir, rel))
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("imagefolder: %s: %w", dir, err)
	}
	slices.Sort(files)
	return files, skipped, nil
}

// checkHeader decodes the header of the image at p.
func checkHeader(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("imagefolder: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("imagefolder: %w", err)
	}
	if fi.Size() > preprocessing.MaxFileBytes {
		return fmt.Errorf("imagefolder: %s: %d bytes, want at most %d MiB", p, fi.Size(), preprocessing.MaxFileBytes>>20)
	}
	if err := checkConfig(func() io.Reader { return io.NewSectionReader(f, 0, fi.Size()) }); err != nil {
		return fmt.Errorf("imagefolder: %s: %w", p, err)
	}
	return nil
}

// checkConfig decodes the header of the image that open gives from its
// start and checks its size and the memory its decoding would take
// against preprocessing's MaxPixels and MaxDecodedBytes.
func checkConfig(open func() io.Reader) error {
	cfg, format, err := image.DecodeConfig(bufio.NewReader(open()))
	if err != nil {
		return fmt.Errorf("not a readable PNG, JPEG, GIF or BMP image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > preprocessing.MaxPixels/cfg.Height {
		return fmt.Errorf("a %s image of %d×%d pixels, want 1 to %d pixels", format, cfg.Width, cfg.Height, preprocessing.MaxPixels)
	}
	if need := preprocessing.DecodedBytes(format, cfg, open); need > preprocessing.MaxDecodedBytes {
		return fmt.Errorf("decoding this %d×%d %s image would take about %d MiB, more than the limit of %d MiB",
			cfg.Width, cfg.Height, format, need>>20, preprocessing.MaxDecodedBytes>>20)
	}
	return nil
}

// Len is the number of images.
func (d *Dataset) Len() int { return len(d.Files) }

// ExampleShape is (Height, Width, Channels).
func (d *Dataset) ExampleShape() tensor.Shape { return tensor.Shape{d.h, d.w, d.c} }

// TargetShape is (): one class label per image.
func (d *Dataset) TargetShape() tensor.Shape { return tensor.Shape{} }

// Gather resizes dst to (len(idx), H, W, C) and fills it with the images
// idx, decoded, converted, resized and scaled. An image that cannot be
// decoded is an error naming its file.
func (d *Dataset) Gather(dst *tensor.Tensor, idx []int) error {
	dst.Resize(len(idx), d.h, d.w, d.c)
	n := d.h * d.w * d.c
	for i, j := range idx {
		if j < 0 || j >= len(d.Files) {
			return fmt.Errorf("imagefolder: index %d out of range [0, %d)", j, len(d.Files))
		}
		img, err := d.image(j)
		if err != nil {
			return err
		}
		copy(dst.Data[i*n:(i+1)*n], img)
	}
	return nil
}

// GatherTargets writes the labels of images idx into dst, (len(idx),).
func (d *Dataset) GatherTargets(dst *tensor.Tensor, idx []int) error {
	dst.Resize(len(idx))
	for i, j := range idx {
		if j < 0 || j >= len(d.Labels) {
			return fmt.Errorf("imagefolder: index %d out of range [0, %d)", j, len(d.Labels))
		}
		dst.Data[i] = float32(d.Labels[j])
	}
	return nil
}

// image returns example j's prepared pixels, from the cache if kept there.
func (d *Dataset) image(j int) ([]float32, error) {
	p := d.Files[j]
	if d.cache != nil {
		d.cache.mu.Lock()
		img, ok := d.cache.images[p]
		d.cache.mu.Unlock()
		if ok {
			return img, nil
		}
	}
	img, err := d.decode(p)
	if err != nil {
		return nil, err
	}
	if d.cache != nil {
		d.cache.mu.Lock()
		d.cache.images[p] = img
		d.cache.mu.Unlock()
	}
	return img, nil
}

// decode reads, converts, resizes and scales the image at p.
func (d *Dataset) decode(p string) ([]float32, error) {
	return ReadImage(p, d.h, d.w, d.c, d.interp, d.rescale)
}

// ReadImage prepares the image file at path as Load prepares a folder's:
// decoded (PNG, JPEG, GIF or BMP, within preprocessing.MaxFileBytes,
// MaxPixels and MaxDecodedBytes), converted to channels (1 grayscale, 3
// RGB), resized to height×width with interp a row at a time, and each
// value scaled by rescale. It returns the height·width·channels values,
// channels last.
func ReadImage(path string, height, width, channels int, interp preprocessing.Interpolation, rescale float32) ([]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("imagefolder: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, preprocessing.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("imagefolder: %s: %w", path, err)
	}
	// prepare checks the header again, for a folder's file: it may have
	// changed since Load.
	out, err := prepare(b, height, width, channels, interp, rescale)
	if err != nil {
		return nil, fmt.Errorf("imagefolder: %s: %w", path, err)
	}
	return out, nil
}

// DecodeImage prepares an image held in memory (a file's bytes) exactly
// as ReadImage prepares a file, for images that come from elsewhere, such
// as a prediction server's uploads.
func DecodeImage(b []byte, height, width, channels int, interp preprocessing.Interpolation, rescale float32) ([]float32, error) {
	out, err := prepare(b, height, width, channels, interp, rescale)
	if err != nil {
		return nil, fmt.Errorf("imagefolder: %w", err)
	}
	return out, nil
}

// prepare is ReadImage and DecodeImage after the bytes are read.
func prepare(b []byte, height, width, channels int, interp preprocessing.Interpolation, rescale float32) ([]float32, error) {
	if len(b) > preprocessing.MaxFileBytes {
		return nil, fmt.Errorf("larger than %d MiB", preprocessing.MaxFileBytes>>20)
	}
	if err := checkConfig(func() io.Reader { return bytes.NewReader(b) }); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	// Converted and resized a row at a time: a photograph's float32
	// pixels (288 MB for 24 megapixels in RGB) are never held.
	out, err := preprocessing.ResizeImage(img, channels, height, width, interp)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i] *= rescale
	}
	return out, nil
}
