package plots

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Matplotlib's defaults, in points at 100 dots per inch.
const (
	dpi           = 100.0
	tickFontPt    = 10.0 // xtick.labelsize / ytick.labelsize "medium"
	titleFontPt   = 12.0 // axes.titlesize "large"
	labelFontPt   = 10.0 // axes.labelsize "medium"
	tickLenPt     = 3.5  // xtick.major.size
	tickPadPt     = 3.5  // xtick.major.pad
	titlePadPt    = 6.0  // axes.titlepad
	labelPadPt    = 4.0  // axes.labelpad
	subplotLeft   = 0.125
	subplotRight  = 0.9
	subplotBottom = 0.11
	subplotTop    = 0.88
	subplotWSpace = 0.2
	subplotHSpace = 0.2
)

func pt(p float64) float64 { return p * dpi / 72 }

var parsedFont = sync.OnceValues(func() (*opentype.Font, error) {
	return opentype.Parse(goregular.TTF)
})

// newFace returns a Go Regular face of the given size in points. Faces are
// not safe for concurrent use, so each rendering makes its own.
func newFace(sizePt float64) (font.Face, error) {
	f, err := parsedFont()
	if err != nil {
		return nil, fmt.Errorf("plots: parse font: %w", err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: sizePt, DPI: dpi, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("plots: font face: %w", err)
	}
	return face, nil
}

// canvas is an opaque white RGBA image with the few drawing operations a
// figure needs.
type canvas struct {
	img *image.RGBA
}

func newCanvas(w, h int) *canvas {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	return &canvas{img: img}
}

// fill paints the rectangle [x0, x1) × [y0, y1), clipped to the canvas.
func (c *canvas) fill(x0, y0, x1, y1 int, col color.Color) {
	r := image.Rect(x0, y0, x1, y1).Intersect(c.img.Bounds())
	draw.Draw(c.img, r, image.NewUniform(col), image.Point{}, draw.Src)
}

// frame draws a one-pixel black outline just outside the rectangle
// [x0, x1) × [y0, y1), so it covers none of the pixels inside.
func (c *canvas) frame(x0, y0, x1, y1 int) {
	c.fill(x0-1, y0-1, x1+1, y0, color.Black)
	c.fill(x0-1, y1, x1+1, y1+1, color.Black)
	c.fill(x0-1, y0, x0, y1, color.Black)
	c.fill(x1, y0, x1+1, y1, color.Black)
}

// raster paints img into [x0, x1) × [y0, y1) with nearest-neighbour
// sampling: output pixel (px, py) shows the image pixel under its centre.
// NaN pixels are left as background, like matplotlib's masked values.
func (c *canvas) raster(img Image, norm func(float64) float64, cmap *Colormap, x0, y0, x1, y1 int) {
	dw, dh := x1-x0, y1-y0
	for py := y0; py < y1; py++ {
		row := (2*(py-y0) + 1) * img.H / (2 * dh)
		for px := x0; px < x1; px++ {
			col := (2*(px-x0) + 1) * img.W / (2 * dw)
			v := float64(img.Pixels[row*img.W+col])
			if math.IsNaN(v) {
				continue
			}
			if image.Pt(px, py).In(c.img.Bounds()) {
				c.img.SetRGBA(px, py, cmap.At(norm(v)))
			}
		}
	}
}

// Text alignment relative to the anchor point.
type hAlign int

const (
	alignLeft hAlign = iota
	alignCenter
	alignRight
)

type vAlign int

const (
	alignTop      vAlign = iota // top of the ink at y
	alignMiddle                 // middle of the ink at y
	alignBaseline               // baseline at y
)

// text draws s in black with its anchor at (x, y).
func (c *canvas) text(face font.Face, s string, x, y float64, ha hAlign, va vAlign) {
	d := &font.Drawer{Dst: c.img, Src: image.Black, Face: face}
	bounds, adv := d.BoundString(s)
	w := fix(adv)
	switch ha {
	case alignCenter:
		x -= w / 2
	case alignRight:
		x -= w
	}
	top, bottom := fix(bounds.Min.Y), fix(bounds.Max.Y) // relative to the baseline
	switch va {
	case alignTop:
		y -= top
	case alignMiddle:
		y -= (top + bottom) / 2
	}
	d.Dot = fixed.Point26_6{X: fixed.I(int(math.Round(x))), Y: fixed.I(int(math.Round(y)))}
	d.DrawString(s)
}

func fix(v fixed.Int26_6) float64 { return float64(v) / 64 }

// autoTicks mimics matplotlib's AutoLocator (MaxNLocator with
// steps [1, 2, 2.5, 5, 10]) for the view interval [lo, hi] drawn over
// lengthPx pixels: at most nbins intervals, where nbins comes from the
// room the axis has for labels (three font sizes per tick along x, two
// along y), clipped to [1, 9]. It returns the ticks inside [lo, hi].
func autoTicks(lo, hi, lengthPx float64, vertical bool) []float64 {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	per := 3.0
	if vertical {
		per = 2
	}
	nbins := math.Floor(lengthPx * 72 / dpi / (tickFontPt * per))
	nbins = math.Max(1, math.Min(9, nbins))
	raw := (hi - lo) / nbins
	scale := math.Pow(10, math.Floor(math.Log10(raw)))
	steps := []float64{1, 2, 2.5, 5, 10}
	first := len(steps) - 1
	for i, s := range steps {
		if s*scale >= raw*(1-1e-9) {
			first = i
			break
		}
	}
	var ticks []float64
	for i := first; i >= 0; i-- {
		step := steps[i] * scale
		ticks = ticks[:0]
		eps := step * 1e-9
		for k := math.Ceil((lo - eps) / step); k*step <= hi+eps; k++ {
			ticks = append(ticks, k*step)
		}
		if len(ticks) >= 2 {
			break
		}
	}
	return ticks
}

// tickLabels formats ticks like matplotlib's ScalarFormatter: the fewest
// decimals that show every tick exactly, the same for all, and a true
// minus sign.
func tickLabels(ticks []float64) []string {
	decimals := 0
	for ; decimals < 6; decimals++ {
		ok := true
		p := math.Pow(10, float64(decimals))
		for _, t := range ticks {
			if math.Abs(t*p-math.Round(t*p)) > 1e-6*math.Max(1, math.Abs(t*p)) {
				ok = false
				break
			}
		}
		if ok {
			break
		}
	}
	out := make([]string, len(ticks))
	for i, t := range ticks {
		s := strconv.FormatFloat(t, 'f', decimals, 64)
		if strings.Trim(s, "-0.") == "" {
			s = strings.TrimPrefix(s, "-") // no "-0"
		}
		out[i] = strings.Replace(s, "-", "\u2212", 1)
	}
	return out
}
