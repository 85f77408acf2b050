// Package plots draws the pictures of the Fashion-MNIST tutorial and of a
// trained model, as PNG and SVG:
//
//   - ImshowFigure is plt.imshow(img); plt.colorbar(); plt.title(...): one
//     image, nearest-neighbour pixels in the viridis colormap, axes ticked
//     at pixel centres with the origin at the upper left, and a colour bar.
//   - GridFigure is the tutorial's 5×5 subplot grid: each image in the
//     binary colormap, no ticks, its class name below it.
//   - LearningCurve draws a figure of Model.Fit's history per epoch,
//     training against validation.
//   - ConfusionMatrix is sklearn's ConfusionMatrixDisplay, counts or
//     normalised by row; PerClassAccuracy is a bar per class.
//   - PredictionFigure, PredictionGrid and ValueArray are the tutorial's
//     plot_image and plot_value_array (the predicted bar red when wrong,
//     the true one blue); Mistakes is a gallery of wrong predictions, for
//     which MostConfidentMistakes picks the most confident ones.
//
// Each returns a *Figure, which writes itself as PNG or SVG; Save and
// SaveAll write it to files atomically. Imshow and Grid write the PNG
// directly. Charts are gonum/plot plots styled like matplotlib's defaults;
// the pictures follow matplotlib's layout at 100 dpi (figure 6.4×4.8 in,
// subplot margins, tick and label sizes and pads, colour bar 1/20 as wide
// as it is tall) and are drawn on the same gonum canvases, in Liberation
// Sans (which gonum/plot embeds) standing in for DejaVu Sans.
package plots

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot/vg/draw"
)

// Image is a grayscale image of H rows by W columns. Pixels holds its H*W
// values row by row, top row first. Values may be on any scale (raw 0..255
// bytes or 0..1 floats); NaN pixels are drawn as background.
type Image struct {
	Pixels []float32
	H, W   int
}

// Validate reports whether the image is non-empty and Pixels has H*W values.
func (img Image) Validate() error {
	if img.H <= 0 || img.W <= 0 {
		return fmt.Errorf("plots: image is %d×%d: height and width must be positive", img.H, img.W)
	}
	if len(img.Pixels) != img.H*img.W {
		return fmt.Errorf("plots: image is %d×%d but has %d pixels, want %d", img.H, img.W, len(img.Pixels), img.H*img.W)
	}
	return nil
}

// dataRange is the min and max of the image's finite pixels, or 0 and 1
// when it has none.
func (img Image) dataRange() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range img.Pixels {
		v := float64(p)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if lo > hi {
		return 0, 1
	}
	return lo, hi
}

// Default figure size: matplotlib's 6.4×4.8 inches at 100 dpi.
const (
	DefaultWidth  = 640
	DefaultHeight = 480
)

// ImshowOptions controls Imshow. The zero value is matplotlib's default:
// a 640×480 figure, viridis, the colour range autoscaled to the data, no
// title.
type ImshowOptions struct {
	// Title is drawn centred above the image, like plt.title.
	Title string
	// Min and Max are the values drawn as the colormap's two ends (vmin and
	// vmax). If both are zero the range is the data's min and max, as
	// matplotlib autoscales; otherwise Min must not exceed Max. Values
	// outside the range take the end colours.
	Min, Max float64
	// Width and Height are the PNG's size in pixels; zero means
	// DefaultWidth or DefaultHeight. Text keeps its size (10 pt at 100 dpi),
	// as it does when a matplotlib figure grows.
	Width, Height int
	// Colormap colours the image and the colour bar; nil means Viridis.
	Colormap *Colormap
}

// Imshow writes img as a PNG figure: the image with nearest-neighbour
// pixels, x and y axes ticked at pixel centres (0, 5, 10, ... for a 28×28
// image, y growing downwards), a colour bar with ticks on the right, and
// the title, if any, above. ImshowFigure makes the same figure for any
// format.
func Imshow(w io.Writer, img Image, opts ImshowOptions) error {
	f, err := ImshowFigure(img, opts)
	if err != nil {
		return err
	}
	return f.WritePNG(w)
}

// ImshowFigure is plt.imshow(img); plt.colorbar(); plt.title(...) as a
// Figure: see Imshow.
func ImshowFigure(img Image, opts ImshowOptions) (*Figure, error) {
	if err := img.Validate(); err != nil {
		return nil, err
	}
	fw, fh := opts.Width, opts.Height
	if fw < 0 || fh < 0 {
		return nil, fmt.Errorf("plots: figure size %d×%d is negative", fw, fh)
	}
	if fw == 0 {
		fw = DefaultWidth
	}
	if fh == 0 {
		fh = DefaultHeight
	}
	lo, hi := opts.Min, opts.Max
	switch {
	case math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0):
		return nil, fmt.Errorf("plots: colour range [%v, %v] is not finite", lo, hi)
	case lo == 0 && hi == 0:
		lo, hi = img.dataRange()
	case lo > hi:
		return nil, fmt.Errorf("plots: colour range Min %v exceeds Max %v", lo, hi)
	}
	cmap := opts.Colormap
	if cmap == nil {
		cmap = Viridis
	}

	// The axes box of a default subplot; the colour bar takes the right
	// 15% of it after a 5% gap (matplotlib's fraction=0.15, pad=0.05).
	axX0, axX1 := subplotLeft*float64(fw), subplotRight*float64(fw)
	axY0, axY1 := (1-subplotTop)*float64(fh), (1-subplotBottom)*float64(fh)
	axW, axH := axX1-axX0, axY1-axY0
	parentW := axW * (1 - 0.15 - 0.05)

	// The image keeps square pixels, anchored right and centred vertically
	// in what is left of the axes box, as imshow's aspect="equal" does.
	s := math.Min(parentW/float64(img.W), axH/float64(img.H))
	iw, ih := s*float64(img.W), s*float64(img.H)
	ix1 := math.Round(axX0 + parentW)
	ix0 := math.Round(axX0 + parentW - iw)
	iy0 := math.Round(axY0 + (axH-ih)/2)
	iy1 := math.Round(axY0 + (axH+ih)/2)
	cbW := math.Min(axH/20, 0.15*axW)
	cx0 := math.Round(axX0 + 0.85*axW)
	cx1 := math.Round(axX0 + 0.85*axW + cbW)
	cy0, cy1 := math.Round(axY0), math.Round(axY1)
	if ix1-ix0 < 1 || iy1-iy0 < 1 || cx1-cx0 < 1 {
		return nil, fmt.Errorf("plots: figure %d×%d is too small to draw a %d×%d image", fw, fh, img.H, img.W)
	}
	picture := rasterize(img, normalizer(lo, hi), cmap)
	title := opts.Title
	w, h := float64(img.W), float64(img.H)

	return newFigure(fw, fh, func(dc draw.Canvas) {
		c := pixels{dc}
		c.picture(picture, ix0, iy0, ix1, iy1)
		c.frame(ix0, iy0, ix1, iy1, color.Black)
		tickLen := math.Round(pt(tickLenPt))
		pad := pt(tickPadPt)
		xLabel := textStyle(tickFontPt, draw.XCenter, draw.YTop)
		yLabel := textStyle(tickFontPt, draw.XRight, draw.YCenter)

		// x axis below the image: data coordinate v is column v's centre.
		dw, dh := ix1-ix0, iy1-iy0
		xt := autoTicks(-0.5, w-0.5, dw, false)
		for i, label := range tickLabels(xt) {
			x := ix0 + (xt[i]+0.5)*dw/w
			tx := math.Min(math.Floor(x), ix1-1)
			c.fill(tx, iy1+1, tx+1, iy1+1+tickLen, color.Black)
			c.text(xLabel, label, x, iy1+1+tickLen+pad)
		}
		// y axis on the left, growing downwards (origin="upper").
		yt := autoTicks(-0.5, h-0.5, dh, true)
		for i, label := range tickLabels(yt) {
			y := iy0 + (yt[i]+0.5)*dh/h
			ty := math.Min(math.Floor(y), iy1-1)
			c.fill(ix0-1-tickLen, ty, ix0-1, ty+1, color.Black)
			c.text(yLabel, label, ix0-1-tickLen-pad, y)
		}

		c.colorBar(cmap, lo, hi, cx0, cy0, cx1, cy1)

		if title != "" {
			c.text(textStyle(titleFontPt, draw.XCenter, draw.YBottom), title, (ix0+ix1)/2, iy0-1-pt(titlePadPt))
		}
	}), nil
}

// Grid writes imgs as a PNG grid of cols columns and as many rows as they
// need, like the tutorial's plt.subplot(5, 5, i+1) loop: each image in the
// Binary colormap scaled to its own min and max (white to black), framed,
// without ticks, and with labels[i], if labels is not nil, centred below
// it (cut with an ellipsis where it would reach the next image). Each
// grid cell gets 200×200 pixels of figure, so 25 images in 5 columns make
// matplotlib's figsize=(10, 10) at 100 dpi: 1000×1000.
// GridFigure makes the same figure for any format.
func Grid(w io.Writer, imgs []Image, labels []string, cols int) error {
	f, err := GridFigure(imgs, labels, cols)
	if err != nil {
		return err
	}
	return f.WritePNG(w)
}

// GridFigure is the tutorial's 5×5 plt.subplot grid as a Figure: see Grid.
func GridFigure(imgs []Image, labels []string, cols int) (*Figure, error) {
	if len(imgs) == 0 {
		return nil, errors.New("plots: grid has no images")
	}
	if cols <= 0 {
		return nil, fmt.Errorf("plots: grid needs at least one column, got %d", cols)
	}
	if labels != nil && len(labels) != len(imgs) {
		return nil, fmt.Errorf("plots: grid has %d images but %d labels", len(imgs), len(labels))
	}
	rows := (len(imgs) + cols - 1) / cols
	fw, fh := 200*cols, 200*rows
	// matplotlib's GridSpec: cells of equal size with wspace and hspace
	// (fractions of a cell) between them inside the subplot margins.
	totW := (subplotRight - subplotLeft) * float64(fw)
	totH := (subplotTop - subplotBottom) * float64(fh)
	cellW := totW / (float64(cols) + subplotWSpace*float64(cols-1))
	cellH := totH / (float64(rows) + subplotHSpace*float64(rows-1))
	sty := textStyle(labelFontPt, draw.XCenter, draw.YTop) // pixels.cell's
	cells := make([]cell, len(imgs))
	for i, img := range imgs {
		if err := img.Validate(); err != nil {
			return nil, fmt.Errorf("plots: grid image %d: %w", i, err)
		}
		cells[i].picture = binaryPicture(img)
		if labels != nil && labels[i] != "" {
			// A label may reach into the gap between cells, not past it.
			cells[i].caption = []captionLine{{elide(labels[i], sty, cellW*(1+subplotWSpace)), color.Black}}
		}
	}
	return newFigure(fw, fh, func(dc draw.Canvas) {
		c := pixels{dc}
		for i, cl := range cells {
			r, k := i/cols, i%cols
			x := subplotLeft*float64(fw) + float64(k)*cellW*(1+subplotWSpace)
			y := (1-subplotTop)*float64(fh) + float64(r)*cellH*(1+subplotHSpace)
			c.cell(cl, x, y, cellW, cellH)
		}
	}), nil
}

// cell is one framed picture of a grid, with caption lines centred below.
type cell struct {
	picture *image.RGBA
	caption []captionLine
}

// captionLine is one line of a caption and its colour.
type captionLine struct {
	text  string
	color color.Color
}

// Picture returns img as an RGBA image of its own size, one pixel per image
// pixel, coloured by cmap (nil means Binary, as plt.cm.binary) over the
// image's own min and max; NaN pixels are transparent. Use it to embed an
// image where a figure would be too much, such as in an HTML page.
func Picture(img Image, cmap *Colormap) (*image.RGBA, error) {
	if err := img.Validate(); err != nil {
		return nil, err
	}
	if cmap == nil {
		cmap = Binary
	}
	lo, hi := img.dataRange()
	return rasterize(img, normalizer(lo, hi), cmap), nil
}

// binaryPicture is img in the Binary colormap scaled to its own min and
// max, as plt.imshow(img, cmap=plt.cm.binary) draws it.
func binaryPicture(img Image) *image.RGBA {
	lo, hi := img.dataRange()
	return rasterize(img, normalizer(lo, hi), Binary)
}

// cell draws cl's picture with square pixels centred in the box of w×h
// pixels at (x, y), framed, and its caption lines below, in matplotlib's
// 10-point axis-label font, 4 points under the frame.
func (p pixels) cell(cl cell, x, y, w, h float64) {
	b := cl.picture.Bounds()
	s := math.Min(w/float64(b.Dx()), h/float64(b.Dy()))
	iw, ih := s*float64(b.Dx()), s*float64(b.Dy())
	ix0 := math.Round(x + (w-iw)/2)
	iy0 := math.Round(y + (h-ih)/2)
	ix1 := math.Max(ix0+1, math.Round(x+(w+iw)/2))
	iy1 := math.Max(iy0+1, math.Round(y+(h+ih)/2))
	p.picture(cl.picture, ix0, iy0, ix1, iy1)
	p.frame(ix0, iy0, ix1, iy1, color.Black)
	ty := iy1 + 1 + pt(labelPadPt)
	for _, line := range cl.caption {
		sty := textStyle(labelFontPt, draw.XCenter, draw.YTop)
		sty.Color = line.color
		p.text(sty, line.text, (ix0+ix1)/2, ty)
		ty += pt(labelFontPt * 1.2)
	}
}

// normalizer maps [lo, hi] linearly onto [0, 1]; with lo == hi every value
// maps to 0, as matplotlib's Normalize does.
func normalizer(lo, hi float64) func(float64) float64 {
	if hi <= lo {
		return func(float64) float64 { return 0 }
	}
	return func(v float64) float64 { return (v - lo) / (hi - lo) }
}

// nonsingular widens an empty range the way matplotlib's colour bar does
// (transforms.nonsingular with expander 0.1), so a constant image still
// gets a ticked bar.
func nonsingular(lo, hi float64) (float64, float64) {
	if hi-lo > 1e-12*math.Max(math.Abs(lo), math.Abs(hi)) && hi > lo {
		return lo, hi
	}
	if lo == 0 && hi == 0 {
		return -0.1, 0.1
	}
	return lo - 0.1*math.Abs(lo), hi + 0.1*math.Abs(hi)
}
