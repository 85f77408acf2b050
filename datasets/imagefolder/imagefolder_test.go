package imagefolder

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/image/bmp"

	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/tensor"
)

var _ datasets.Dataset = (*Dataset)(nil)

func solid(w, h int, c color.Color) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	return img
}

func write(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func encode(t *testing.T, img image.Image, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100})
	case "gif":
		err = gif.Encode(&buf, img, nil)
	case "bmp":
		err = bmp.Encode(&buf, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var (
	red   = color.NRGBA{200, 10, 10, 255}
	green = color.NRGBA{0, 255, 0, 255}
	blue  = color.NRGBA{0, 0, 255, 255}
	gray  = color.NRGBA{128, 128, 128, 255}
)

// tree writes a small folder of two classes: cats (a PNG, an upper-case
// JPG, one in a subfolder, and a text file) and dogs (a GIF and a BMP),
// with a README at the top.
func tree(t *testing.T) string {
	root := t.TempDir()
	write(t, filepath.Join(root, "README.md"), []byte("my pets"))
	write(t, filepath.Join(root, "cats", "a.png"), encode(t, solid(5, 3, red), "png"))
	write(t, filepath.Join(root, "cats", "B.JPG"), encode(t, solid(16, 16, gray), "jpeg"))
	write(t, filepath.Join(root, "cats", "more", "c.png"), encode(t, solid(2, 2, blue), "png"))
	write(t, filepath.Join(root, "cats", "notes.txt"), []byte("not an image"))
	write(t, filepath.Join(root, "dogs", "d.gif"), encode(t, solid(4, 4, green), "gif"))
	write(t, filepath.Join(root, "dogs", "e.bmp"), encode(t, solid(3, 7, blue), "bmp"))
	return root
}

func TestLoad(t *testing.T) {
	root := tree(t)
	train, val, err := Load(root, Options{Height: 4, Width: 6, NoShuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	if val != nil {
		t.Error("a validation set without a split")
	}
	if !reflect.DeepEqual(train.ClassNames, []string{"cats", "dogs"}) || train.Skipped != 2 {
		t.Errorf("classes %q, skipped %d (want cats, dogs and 2)", train.ClassNames, train.Skipped)
	}
	var rel []string
	for _, f := range train.Files {
		r, _ := filepath.Rel(root, f)
		rel = append(rel, filepath.ToSlash(r))
	}
	if want := []string{"cats/B.JPG", "cats/a.png", "cats/more/c.png", "dogs/d.gif", "dogs/e.bmp"}; !reflect.DeepEqual(rel, want) {
		t.Errorf("files %q, want %q", rel, want)
	}
	if !reflect.DeepEqual(train.Labels, []int32{0, 0, 0, 1, 1}) {
		t.Errorf("labels %v", train.Labels)
	}
	// Naming one class loads it alone (two classes are needed only when
	// they are inferred).
	cats, _, err := Load(root, Options{Height: 4, Width: 6, ClassNames: []string{"cats"}})
	if err != nil || cats.Len() != 3 || !reflect.DeepEqual(cats.ClassNames, []string{"cats"}) || !reflect.DeepEqual(cats.Labels, []int32{0, 0, 0}) {
		t.Errorf("ClassNames [cats]: %v", err)
	}
	if !train.ExampleShape().Equal([]int{4, 6, 3}) || train.TargetShape().Size() != 1 || len(train.TargetShape()) != 0 {
		t.Errorf("shapes %v %v", train.ExampleShape(), train.TargetShape())
	}
	x, y, err := datasets.Materialize(train)
	if err != nil {
		t.Fatal(err)
	}
	if !x.Shape.Equal([]int{5, 4, 6, 3}) || !reflect.DeepEqual(y.Data, []float32{0, 0, 0, 1, 1}) {
		t.Fatalf("x %v y %v", x.Shape, y.Data)
	}
	// Solid images stay solid whatever the resizing: every pixel of image
	// 1 (a.png) is red/255, of image 3 (the GIF) green, of image 4 blue.
	for _, c := range []struct {
		i   int
		col color.NRGBA
		tol float64
	}{{1, red, 1e-6}, {2, blue, 1e-6}, {3, green, 1e-6}, {4, blue, 1e-6}, {0, gray, 2.0 / 255}} {
		img := x.Data[c.i*72 : (c.i+1)*72]
		for p := 0; p < 24; p++ {
			for k, want := range []uint8{c.col.R, c.col.G, c.col.B} {
				if got := img[3*p+k]; math.Abs(float64(got)-float64(want)/255) > c.tol {
					t.Fatalf("image %d pixel %d channel %d = %v, want %v", c.i, p, k, got, float64(want)/255)
				}
			}
		}
	}
}

// TestLoadSymlinks: a class folder that is a link to a directory is
// walked, as Keras's os.walk walks a linked top; below a class folder a
// link to a file is an image, a link to a directory (here one to its own
// folder, a cycle) is skipped, not followed.
func TestLoadSymlinks(t *testing.T) {
	root, elsewhere := t.TempDir(), t.TempDir()
	write(t, filepath.Join(root, "cats", "a.png"), encode(t, solid(2, 2, red), "png"))
	write(t, filepath.Join(elsewhere, "dogs", "d.png"), encode(t, solid(2, 2, green), "png"))
	write(t, filepath.Join(elsewhere, "dogs", "sub", "e.png"), encode(t, solid(2, 2, blue), "png"))
	write(t, filepath.Join(elsewhere, "more", "f.png"), encode(t, solid(2, 2, blue), "png"))
	for _, l := range []struct{ target, link string }{
		{filepath.Join(elsewhere, "dogs"), filepath.Join(root, "dogs")},
		{filepath.Join(elsewhere, "more", "f.png"), filepath.Join(root, "cats", "linked.png")},
		{filepath.Join(elsewhere, "more"), filepath.Join(root, "cats", "more")},
		{filepath.Join(root, "cats"), filepath.Join(root, "cats", "self")},
	} {
		if err := os.Symlink(l.target, l.link); err != nil {
			t.Skipf("no symbolic links here: %v", err)
		}
	}
	d, _, err := Load(root, Options{Height: 2, Width: 2, NoShuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, f := range d.Files {
		r, _ := filepath.Rel(root, f)
		rel = append(rel, filepath.ToSlash(r))
	}
	if want := []string{"cats/a.png", "cats/linked.png", "dogs/d.png", "dogs/sub/e.png"}; !reflect.DeepEqual(rel, want) {
		t.Errorf("files %q, want %q", rel, want)
	}
	if !reflect.DeepEqual(d.Labels, []int32{0, 0, 1, 1}) || d.Skipped != 2 {
		t.Errorf("labels %v, skipped %d; want [0 0 1 1] and 2 (the two linked directories)", d.Labels, d.Skipped)
	}
	x := &tensor.Tensor{}
	if err := d.Gather(x, []int{1, 2}); err != nil || x.Data[0] != 0 || x.Data[2] != 1 || x.Data[12] != 0 || x.Data[13] != 1 {
		t.Errorf("gathered %v, %v; want blue then green", x.Data, err)
	}
}

// TestLoadResizes checks a gradient through Gather against
// preprocessing's ImageToArray and Resize, in grayscale and with Keras's
// 0–255 values.
func TestLoadResizes(t *testing.T) {
	root := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for y := range 2 {
		for x := range 3 {
			img.Set(x, y, color.NRGBA{uint8(40 * x), uint8(100 * y), 7, 255})
		}
	}
	write(t, filepath.Join(root, "only", "g.png"), encode(t, img, "png"))
	d, _, err := Load(root, Options{Height: 5, Width: 4, ColorMode: Grayscale, Rescale: 1, ClassNames: []string{"only"}})
	if err != nil {
		t.Fatal(err)
	}
	x := &tensor.Tensor{}
	if err := d.Gather(x, []int{0}); err != nil {
		t.Fatal(err)
	}
	pix, h, w, _ := preprocessing.ImageToArray(img, 1)
	want, _ := preprocessing.Resize(pix, h, w, 1, 5, 4, preprocessing.Bilinear)
	if !x.Shape.Equal([]int{1, 5, 4, 1}) || !reflect.DeepEqual(x.Data, want) {
		t.Errorf("gathered %v %v, want %v", x.Shape, x.Data, want)
	}
	if x.Data[0] != pix[0] || x.Data[0] != float32(0.299*0+0.587*0+0.114*7) {
		t.Errorf("corner %v, want the luma of (0, 0, 7)", x.Data[0])
	}
	// ReadImage prepares a file on its own exactly so (what tailor predict
	// does for an image-folder model), and names a file it cannot read.
	one, err := ReadImage(filepath.Join(root, "only", "g.png"), 5, 4, 1, preprocessing.Bilinear, 1)
	if err != nil || !reflect.DeepEqual(one, x.Data) {
		t.Errorf("ReadImage %v, %v; want %v", one, err, x.Data)
	}
	bad := filepath.Join(root, "bad.png")
	write(t, bad, []byte("not a png"))
	if _, err := ReadImage(bad, 5, 4, 1, preprocessing.Bilinear, 1); err == nil || !strings.Contains(err.Error(), bad+": not a readable PNG") {
		t.Errorf("ReadImage of a text file: %v", err)
	}
	// DecodeImage prepares the file's bytes from memory the same way.
	mem, err := DecodeImage(encode(t, img, "png"), 5, 4, 1, preprocessing.Bilinear, 1)
	if err != nil || !reflect.DeepEqual(mem, x.Data) {
		t.Errorf("DecodeImage %v, %v; want %v", mem, err, x.Data)
	}
	if _, err := DecodeImage([]byte("not a png"), 5, 4, 1, preprocessing.Bilinear, 1); err == nil || !strings.Contains(err.Error(), "imagefolder: not a readable PNG") {
		t.Errorf("DecodeImage of text: %v", err)
	}
}

func TestValidationSplitAndCache(t *testing.T) {
	root := tree(t)
	opts := Options{Height: 2, Width: 2, ValidationSplit: 0.4, Seed: 3, Cache: true}
	train, val, err := Load(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 3 || val.Len() != 2 {
		t.Fatalf("%d training and %d validation images, want 3 and 2 (⌊0.4·5⌋ held out)", train.Len(), val.Len())
	}
	seen := map[string]bool{}
	for _, f := range append(append([]string(nil), train.Files...), val.Files...) {
		if seen[f] {
			t.Fatalf("%s in both sets", f)
		}
		seen[f] = true
	}
	again, _, _ := Load(root, opts)
	if !reflect.DeepEqual(again.Files, train.Files) {
		t.Error("the same seed gave another split")
	}
	// The cache serves an image even once its file is gone.
	x := &tensor.Tensor{}
	if err := train.Gather(x, []int{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	first := x.Clone()
	os.Remove(train.Files[0])
	if err := train.Gather(x, []int{0, 1, 2}); err != nil || !reflect.DeepEqual(x.Data, first.Data) {
		t.Errorf("cached gather: %v", err)
	}
	// Without the cache the missing file is an error naming it.
	nc := *train
	nc.cache = nil
	if err := nc.Gather(x, []int{0}); err == nil || !strings.Contains(err.Error(), train.Files[0]) {
		t.Errorf("uncached gather of a deleted file: %v", err)
	}
	if err := nc.Gather(x, []int{7}); err == nil {
		t.Error("index 7 of 3 accepted")
	}
}

// bigPNG returns a PNG whose header claims w×h pixels (its data is not
// there: only the header is valid).
func bigPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestLoadErrors(t *testing.T) {
	good := func(t *testing.T) string { return tree(t) }
	tests := []struct {
		name  string
		setup func(t *testing.T) string
		opts  Options
		want  string
	}{
		{"missing root", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none") }, Options{}, "no such file or directory"},
		{"root is a file", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "f.png")
			write(t, p, []byte("x"))
			return p
		}, Options{}, "not a directory"},
		{"no class folders", func(t *testing.T) string {
			root := t.TempDir()
			write(t, filepath.Join(root, "a.png"), encode(t, solid(2, 2, red), "png"))
			return root
		}, Options{}, "has no subdirectories: put each class's images in a folder of its own"},
		{"one class folder", func(t *testing.T) string {
			root := t.TempDir()
			write(t, filepath.Join(root, "only", "a.png"), encode(t, solid(2, 2, red), "png"))
			write(t, filepath.Join(root, "notes.txt"), []byte("a file is not a class"))
			return root
		}, Options{}, `%ROOT% has 1 class folder ["only"], want at least 2: put each class's images in a folder of its own`},
		{"one class folder, empty ClassNames", func(t *testing.T) string {
			root := t.TempDir()
			write(t, filepath.Join(root, "only", "a.png"), encode(t, solid(2, 2, red), "png"))
			return root
		}, Options{ClassNames: []string{}}, `has 1 class folder ["only"], want at least 2`},
		{"empty class folder", func(t *testing.T) string {
			root := tree(t)
			write(t, filepath.Join(root, "birds", "readme.txt"), []byte("soon"))
			return root
		}, Options{}, "class folder " + "%ROOT%/birds holds no images (want files ending in .bmp, .gif, .jpeg, .jpg, .png)"},
		{"not an image", func(t *testing.T) string {
			root := tree(t)
			write(t, filepath.Join(root, "dogs", "fake.png"), []byte("this is text, named .png"))
			return root
		}, Options{}, "%ROOT%/dogs/fake.png: not a readable PNG, JPEG, GIF or BMP image"},
		{"empty file", func(t *testing.T) string {
			root := tree(t)
			write(t, filepath.Join(root, "dogs", "zero.jpg"), nil)
			return root
		}, Options{}, "%ROOT%/dogs/zero.jpg: not a readable"},
		{"huge image", func(t *testing.T) string {
			root := tree(t)
			write(t, filepath.Join(root, "dogs", "huge.png"), bigPNG(100000, 100000))
			return root
		}, Options{}, "%ROOT%/dogs/huge.png: a png image of 100000×100000 pixels, want 1 to 50000000 pixels"},
		{"unknown class name", good, Options{ClassNames: []string{"cats", "birds"}}, `Options.ClassNames names "birds"`},
		{"repeated class name", good, Options{ClassNames: []string{"cats", "cats"}}, "repeats a name"},
		{"bad colour mode", good, Options{ColorMode: "rgba"}, `color mode "rgba"`},
		{"bad size", good, Options{Height: -1}, "image size -1×256"},
		{"bad split", good, Options{ValidationSplit: 1}, "validation split 1"},
		{"split too small", good, Options{ValidationSplit: 0.1}, "leaves 0 for validation"},
		{"bad interpolation", good, Options{Interpolation: "cubic"}, `interpolation "cubic"`},
		{"too many files", good, Options{MaxFiles: 2}, "more than Options.MaxFiles images"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := tt.setup(t)
			_, _, err := Load(root, tt.opts)
			want := strings.ReplaceAll(tt.want, "%ROOT%", root)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v, want one containing %q", err, want)
			}
		})
	}
	// A PNG whose header is sound but whose data is cut short passes Load
	// and fails when gathered, naming the file.
	root := t.TempDir()
	full := encode(t, solid(20, 20, red), "png")
	write(t, filepath.Join(root, "c", "cut.png"), full[:len(full)-30])
	d, _, err := Load(root, Options{Height: 2, Width: 2, ClassNames: []string{"c"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Gather(&tensor.Tensor{}, []int{0}); err == nil || !strings.Contains(err.Error(), "cut.png: decoding") {
		t.Errorf("truncated PNG: %v", err)
	}
}

// TestConcurrentGather gathers from many goroutines through one cache (run
// with -race).
func TestConcurrentGather(t *testing.T) {
	train, _, err := Load(tree(t), Options{Height: 3, Width: 3, Cache: true})
	if err != nil {
		t.Fatal(err)
	}
	want := &tensor.Tensor{}
	if err := train.Gather(want, []int{4, 3, 2, 1, 0}); err != nil {
		t.Fatal(err)
	}
	train.cache.images = map[string][]float32{} // start cold
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			x := &tensor.Tensor{}
			err := train.Gather(x, []int{4, 3, 2, 1, 0})
			if err == nil && !reflect.DeepEqual(x.Data, want.Data) {
				err = os.ErrInvalid
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestLoadSkipsHiddenFolders: a hidden subdirectory of the root (a
// notebook's .ipynb_checkpoints, a .git) is not a class, as Keras's
// index_directory leaves out names starting with ".".
func TestLoadSkipsHiddenFolders(t *testing.T) {
	root := tree(t)
	write(t, filepath.Join(root, ".ipynb_checkpoints", "a-checkpoint.png"), encode(t, solid(2, 2, red), "png"))
	write(t, filepath.Join(root, ".git", "HEAD"), []byte("ref: refs/heads/main\n"))
	train, _, err := Load(root, Options{Height: 4, Width: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(train.ClassNames, []string{"cats", "dogs"}) || train.Len() != 5 || train.Skipped != 2 {
		t.Errorf("classes %q, %d images, %d skipped; want cats and dogs, 5 and 2", train.ClassNames, train.Len(), train.Skipped)
	}
	// One class folder beside a hidden one is still one class.
	one := t.TempDir()
	write(t, filepath.Join(one, "only", "a.png"), encode(t, solid(2, 2, red), "png"))
	write(t, filepath.Join(one, ".cache", "b.png"), encode(t, solid(2, 2, red), "png"))
	if _, _, err := Load(one, Options{}); err == nil || !strings.Contains(err.Error(), `has 1 class folder ["only"]`) {
		t.Errorf("a class folder and a hidden one: %v, want the one-class error", err)
	}
}

// TestLoadLargePhoto: a photograph of 4100×4100 pixels (16.8 megapixels,
// 202 MB as RGB float32, over what ImageToArray holds) passes Load's check
// and is prepared when gathered, converted and resized a row at a time;
// a solid gray one stays that gray.
func TestLoadLargePhoto(t *testing.T) {
	const side = 4100
	g := image.NewGray(image.Rect(0, 0, side, side))
	for i := range g.Pix {
		g.Pix[i] = 77
	}
	root := t.TempDir()
	write(t, filepath.Join(root, "big", "photo.png"), encode(t, g, "png"))
	write(t, filepath.Join(root, "small", "a.png"), encode(t, solid(3, 3, red), "png"))
	for _, interp := range []preprocessing.Interpolation{preprocessing.Bilinear, preprocessing.Area} {
		train, _, err := Load(root, Options{Height: 8, Width: 8, NoShuffle: true, Interpolation: interp})
		if err != nil {
			t.Fatal(err)
		}
		x := &tensor.Tensor{}
		if err := train.Gather(x, []int{0}); err != nil {
			t.Fatalf("%s: %v", interp, err)
		}
		want := float32(77) * (1.0 / 255)
		for i, v := range x.Data {
			if v != want {
				t.Fatalf("%s: value %d is %v, want %v", interp, i, v, want)
			}
		}
	}
}

// TestLoadRefusesDecodingBomb: a PNG whose header asks for 7000×7000
// 16-bit RGBA pixels (392 MB decoded, within MaxPixels) is refused by
// Load from its header, as preprocessing.LoadImage refuses it, and so is
// its upload to DecodeImage: it used to pass and be decoded when
// gathered or served.
func TestLoadRefusesDecodingBomb(t *testing.T) {
	bomb := bigPNG(7000, 7000)
	bomb[16+8], bomb[16+9] = 16, 6 // 16-bit RGBA
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	root := tree(t)
	write(t, filepath.Join(root, "dogs", "bomb.png"), bomb)
	want := "bomb.png: decoding this 7000×7000 png image would take about 373 MiB, more than the limit of 192 MiB"
	if _, _, err := Load(root, Options{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Load: %v, want an error containing %q", err, want)
	}
	if _, err := DecodeImage(bomb, 8, 8, 3, preprocessing.Bilinear, 1); err == nil || !strings.Contains(err.Error(), "more than the limit of 192 MiB") {
		t.Errorf("DecodeImage: %v, want the decoded-size limit", err)
	}
}
