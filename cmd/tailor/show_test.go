package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/datasets/fashionmnist"
)

// TestShowSavesFormatOfExtension checks that show's figure is written in
// the format -o's extension names: a .svg file once held PNG bytes.
func TestShowSavesFormatOfExtension(t *testing.T) {
	d := &fashionmnist.Dataset{Images: make([]uint8, 2*4*4), Labels: []uint8{3, 9}, N: 2, Rows: 4, Cols: 4}
	for i := range d.Images {
		d.Images[i] = uint8(i * 8)
	}
	dir := t.TempDir()

	pngPath := filepath.Join(dir, "img.png")
	if err := saveImshow(pngPath, d, 1, true); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", pngPath, err)
	}
	if b := img.Bounds(); b.Dx() != 640 || b.Dy() != 480 {
		t.Errorf("image is %v, want 640×480", b)
	}

	svgPath := filepath.Join(dir, "img.SVG")
	if err := saveImshow(svgPath, d, 1, false); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(b, []byte("\x89PNG")) || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("%s is not an SVG: starts %q", svgPath, b[:min(len(b), 40)])
	}
	if !bytes.Contains(b, []byte("Ankle boot")) {
		t.Errorf("%s does not carry the title Ankle boot", svgPath)
	}
}

// TestShowRejectsUnknownFormat checks that -o with an extension show
// cannot write is a usage error found before any data is read (the
// missing --data directory would fail otherwise), and writes nothing.
func TestShowRejectsUnknownFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "img.gif")
	code, out, errOut := runCLI(t, "show", "--data", "/nonexistent", "-o", path)
	want := `tailor show: -o: plots: ` + path + `: unknown image format ".gif", want .png or .svg`
	if code != 2 || !strings.Contains(out+errOut, want) {
		t.Errorf("exit %d, output %q; want exit 2 and %q", code, out+errOut, want)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s exists after a rejected -o (stat: %v)", path, err)
	}
}
