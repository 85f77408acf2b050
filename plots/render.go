package plots

import (
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
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

// pt converts points to pixels at 100 dpi.
func pt(p float64) float64 { return p * dpi / 72 }

// sans is the figures' font: Liberation Sans, which gonum/plot embeds, at
// size points.
func sans(size float64) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Length(size)}
}

// textStyle is black Liberation Sans of the given size and alignment.
func textStyle(size float64, xa text.XAlignment, ya text.YAlignment) text.Style {
	return text.Style{Color: color.Black, Font: sans(size), XAlign: xa, YAlign: ya, Handler: plot.DefaultTextHandler}
}

// pixels draws on the rectangle of a draw.Canvas in figure pixels at
// 100 dpi, x to the right and y downwards from the rectangle's top-left
// corner, the way the matplotlib-style layouts below are computed.
type pixels struct {
	c draw.Canvas
}

// at is the canvas point of pixel coordinates (x, y).
func (p pixels) at(x, y float64) vg.Point {
	return vg.Point{X: p.c.Min.X + px(x), Y: p.c.Max.Y - px(y)}
}

// rect is the canvas rectangle of [x0, x1) × [y0, y1).
func (p pixels) rect(x0, y0, x1, y1 float64) vg.Rectangle {
	return vg.Rectangle{Min: p.at(x0, y1), Max: p.at(x1, y0)}
}

// fill paints the rectangle [x0, x1) × [y0, y1).
func (p pixels) fill(x0, y0, x1, y1 float64, col color.Color) {
	if x1 <= x0 || y1 <= y0 {
		return
	}
	p.c.SetColor(col)
	p.c.Fill(p.rect(x0, y0, x1, y1).Path())
}

// frame draws a one-pixel outline just outside the rectangle
// [x0, x1) × [y0, y1), so it covers none of the pixels inside.
func (p pixels) frame(x0, y0, x1, y1 float64, col color.Color) {
	p.fill(x0-1, y0-1, x1+1, y0, col)
	p.fill(x0-1, y1, x1+1, y1+1, col)
	p.fill(x0-1, y0, x0, y1, col)
	p.fill(x1, y0, x1+1, y1, col)
}

// picture draws m stretched over [x0, x1) × [y0, y1). PNGs sample it
// nearest-neighbour (Figure.WritePNG); for SVG viewers that smooth
// embedded pictures anyway, m is first enlarged by a whole factor along
// each axis to about twice the size it is drawn at (at most 4 megapixels),
// so that its pixels stay sharp.
func (p pixels) picture(m image.Image, x0, y0, x1, y1 float64) {
	b := m.Bounds()
	kx := max(1, int(math.Ceil(2*(x1-x0)/float64(b.Dx()))))
	ky := max(1, int(math.Ceil(2*(y1-y0)/float64(b.Dy()))))
	for kx*ky*b.Dx()*b.Dy() > 4<<20 && (kx > 1 || ky > 1) {
		kx, ky = max(1, kx/2), max(1, ky/2)
	}
	p.c.DrawImage(p.rect(x0, y0, x1, y1), enlarge(m, kx, ky))
}

// enlarge repeats every pixel of m kx times across and ky times down.
func enlarge(m image.Image, kx, ky int) image.Image {
	if kx == 1 && ky == 1 {
		return m
	}
	b := m.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*kx, b.Dy()*ky))
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := color.RGBAModel.Convert(m.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			px := []uint8{c.R, c.G, c.B, c.A}
			for dy := range ky {
				row := out.Pix[(y*ky+dy)*out.Stride+x*kx*4:]
				for dx := range kx {
					copy(row[dx*4:dx*4+4], px)
				}
			}
		}
	}
	return out
}

// toPixels is r in pixel coordinates: x0, y0 its top-left corner and
// x1, y1 its bottom-right one.
func (p pixels) toPixels(r vg.Rectangle) (x0, y0, x1, y1 float64) {
	x := func(l vg.Length) float64 { return float64(l-p.c.Min.X) * dpi / 72 }
	y := func(l vg.Length) float64 { return float64(p.c.Max.Y-l) * dpi / 72 }
	return x(r.Min.X), y(r.Max.Y), x(r.Max.X), y(r.Min.Y)
}

// colorBar draws matplotlib's colour bar for cmap over [lo, hi] in the box
// [x0, x1) × [y0, y1): lo at the bottom, hi at the top, framed, with
// ticks and their labels on the right.
func (p pixels) colorBar(cmap *Colormap, lo, hi, x0, y0, x1, y1 float64) {
	lo, hi = nonsingular(lo, hi)
	h := y1 - y0
	// One pixel per entry of the colormap's table, the top one last.
	bar := image.NewRGBA(image.Rect(0, 0, 1, len(cmap.lut)))
	for i, c := range cmap.lut {
		bar.SetRGBA(0, len(cmap.lut)-1-i, c)
	}
	p.picture(bar, x0, y0, x1, y1)
	p.frame(x0, y0, x1, y1, color.Black)
	tickLen := math.Round(pt(tickLenPt))
	sty := textStyle(tickFontPt, draw.XLeft, draw.YCenter)
	ts := autoTicks(lo, hi, h, true)
	for i, label := range tickLabels(ts) {
		y := y1 - (ts[i]-lo)/(hi-lo)*h
		ty := math.Max(y0, math.Min(math.Floor(y), y1-1))
		p.fill(x1+1, ty, x1+1+tickLen, ty+1, color.Black)
		p.text(sty, label, x1+1+tickLen+pt(tickPadPt), y)
	}
}

// text draws s in sty with its anchor at pixel (x, y); sty's alignment
// says where the anchor is on the text.
func (p pixels) text(sty text.Style, s string, x, y float64) {
	p.c.FillText(sty, p.at(x, y), s)
}

// rasterize turns img into an RGBA picture, one pixel per image pixel,
// coloured by cmap after norm. NaN pixels are transparent, like
// matplotlib's masked values, so the background shows through.
func rasterize(img Image, norm func(float64) float64, cmap *Colormap) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, img.W, img.H))
	for i, v := range img.Pixels {
		if math.IsNaN(float64(v)) {
			continue
		}
		m.SetRGBA(i%img.W, i/img.W, cmap.At(norm(float64(v))))
	}
	return m
}

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

// tickLabels formats ticks like matplotlib's ScalarFormatter (without its
// offset and scientific notation, which the axes have no place for): the
// same number of decimals for every tick, the fewest that keep each label
// within a thousandth of the ticks' range of its tick, and a true minus
// sign. The decimals follow the range, not a fixed limit, so ticks a
// millionth apart (a loss that stays at ln 2) or a half apart around a
// million still read as different numbers.
func tickLabels(ticks []float64) []string {
	if len(ticks) == 0 {
		return nil
	}
	lo, hi, big := math.Inf(1), math.Inf(-1), 0.0
	for _, t := range ticks {
		lo, hi, big = math.Min(lo, t), math.Max(hi, t), math.Max(big, math.Abs(t))
	}
	span := hi - lo
	if span == 0 {
		span = big
	}
	if span == 0 {
		span = 1
	}
	oom := math.Floor(math.Log10(span))
	thresh := 1e-3 * math.Pow(10, oom)
	decimals := int(math.Max(0, 3-oom))
	for ; decimals >= 0; decimals-- {
		p := math.Pow(10, float64(decimals))
		worst := 0.0
		for _, t := range ticks {
			worst = math.Max(worst, math.Abs(t-math.RoundToEven(t*p)/p))
		}
		if worst >= thresh {
			break
		}
	}
	decimals++
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
