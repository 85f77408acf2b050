package plots

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"git.sr.ht/~sbinet/gg"
	xdraw "golang.org/x/image/draw"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/tailor-ml/tailor/internal/atomicfile"
)

// Format is a file format a Figure can be written in.
type Format string

// The formats every figure can be written in.
const (
	PNG Format = "png" // a raster image at 100 dots per inch
	SVG Format = "svg" // a vector image; pictures inside it are embedded PNGs
)

// Formats returns every format, in the order SaveAll writes them.
func Formats() []Format { return []Format{PNG, SVG} }

// FormatOf returns the format a file name's extension names: ".png" or
// ".svg", in any case.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return PNG, nil
	case ".svg":
		return SVG, nil
	}
	return "", fmt.Errorf("plots: %s: unknown image format %q, want .png or .svg", path, filepath.Ext(path))
}

// Figure is a finished picture, ready to be written as PNG or SVG. Every
// figure function in this package returns one; it holds its own copy of
// the data it shows, so it can be written any number of times, from any
// goroutine.
type Figure struct {
	// Width and Height are the figure's size in pixels at matplotlib's 100
	// dots per inch: the size of its PNG. Its SVG has the same size in
	// points times 0.72 (one pixel is 1/100 inch).
	Width, Height int
	paint         func(c draw.Canvas)
}

// newFigure returns a figure of w×h pixels that paint draws.
func newFigure(w, h int, paint func(c draw.Canvas)) *Figure {
	return &Figure{Width: w, Height: h, paint: paint}
}

// size is the figure's size in vg units (points).
func (f *Figure) size() (w, h vg.Length) {
	return px(float64(f.Width)), px(float64(f.Height))
}

// px converts pixels at 100 dpi to vg lengths (points).
func px(p float64) vg.Length { return vg.Length(p * 72 / dpi) }

// Encode writes the figure to w in the given format.
func (f *Figure) Encode(w io.Writer, format Format) error {
	switch format {
	case PNG:
		return f.WritePNG(w)
	case SVG:
		return f.WriteSVG(w)
	}
	return fmt.Errorf("plots: unknown image format %q, want png or svg", format)
}

// WritePNG writes the figure as a Width×Height PNG image.
func (f *Figure) WritePNG(w io.Writer) error {
	img := image.NewRGBA(image.Rect(0, 0, f.Width, f.Height))
	ctx := gg.NewContextForRGBA(img)
	ctx.SetLineCapButt()
	ctx.InvertY()
	// Pictures are drawn with nearest-neighbour sampling, as imshow's
	// interpolation="nearest" does: every data pixel stays a solid block.
	ctx.SetInterpolator(xdraw.NearestNeighbor)
	c := vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(dpi))
	if err := f.draw(c); err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(w); err != nil {
		return fmt.Errorf("plots: encode PNG: %w", err)
	}
	return nil
}

// WriteSVG writes the figure as a standalone SVG document. Its text names
// Liberation Sans, the font the layout was measured with, then its
// metric-compatible stand-ins (Arial, Helvetica) and sans-serif.
func (f *Figure) WriteSVG(w io.Writer) error {
	c := vgsvg.New(f.size())
	if err := f.draw(c); err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return fmt.Errorf("plots: encode SVG: %w", err)
	}
	if _, err := w.Write(fixSVG(buf.Bytes())); err != nil {
		return fmt.Errorf("plots: write SVG: %w", err)
	}
	return nil
}

// draw paints the figure on c. Figure functions check their data before
// they return a Figure, so painting cannot fail; should gonum/plot panic
// all the same, the panic becomes an error rather than a crash.
func (f *Figure) draw(c vg.CanvasSizer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plots: drawing the figure failed: %v", r)
		}
	}()
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	f.paint(dc)
	return nil
}

// fixSVG makes gonum's SVG text more portable: a font list that falls back
// to metric-compatible fonts and sans-serif where Liberation Sans is not
// installed (a browser would otherwise pick its serif default), the right
// media type for embedded PNGs, pixelated scaling for them, and U+FFFD for
// every character XML does not allow (see xmlChar).
func fixSVG(b []byte) []byte {
	b = bytes.Map(func(r rune) rune {
		if xmlChar(r) {
			return r
		}
		return utf8.RuneError
	}, b)
	b = bytes.ReplaceAll(b, []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif;"))
	b = bytes.ReplaceAll(b, []byte("data:image/jpg;base64,"), []byte("data:image/png;base64,"))
	b = bytes.ReplaceAll(b, []byte("<image "), []byte(`<image style="image-rendering:pixelated" `))
	return b
}

// xmlChar reports whether XML 1.0 allows r in a document. gonum escapes
// markup in text but writes the rest as it is, so a class name with a
// control character (a form feed or NUL out of a CSV column) or bytes that
// are not UTF-8 (a folder's name) made an SVG no reader would parse: a
// browser drew no figure at all. bytes.Map reads such bytes as U+FFFD.
func xmlChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20:
		return false
	case r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
		return false
	}
	return r <= utf8.MaxRune
}

// Save writes the figure to the file at path, atomically, in the format
// its extension names (.png or .svg).
func (f *Figure) Save(path string) error {
	format, err := FormatOf(path)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return f.Encode(w, format) }); err != nil {
		return fmt.Errorf("plots: save %s: %w", path, err)
	}
	return nil
}

// SaveAll writes the figure as dir/name.png and dir/name.svg (one file per
// format, each atomically) and returns their paths in that order.
func SaveAll(dir, name string, f *Figure) ([]string, error) {
	var paths []string
	for _, format := range Formats() {
		p := filepath.Join(dir, name+"."+string(format))
		if err := f.Save(p); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
