package plots

import (
	"image/color"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Colours the figures use: matplotlib's default cycle for lines and bars,
// and TensorFlow's red and blue for wrong and right predictions.
var (
	// TabBlue and TabOrange are matplotlib's first two default colours
	// (tab:blue, tab:orange): training and validation curves.
	TabBlue   = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	TabOrange = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	// Wrong is matplotlib's "red": a wrong prediction's caption and bar.
	Wrong = color.RGBA{0xff, 0x00, 0x00, 0xff}
	// Right is matplotlib's "blue": a right prediction's caption and the
	// true class's bar.
	Right = color.RGBA{0x00, 0x00, 0xff, 0xff}
	// BarGrey is the tutorial's "#777777" for the other classes' bars.
	BarGrey = color.RGBA{0x77, 0x77, 0x77, 0xff}
)

// spineWidth is matplotlib's axes.linewidth, 0.8 points.
const spineWidth = vg.Length(0.8)

// newPlot returns a gonum plot styled like matplotlib's defaults:
// Liberation Sans, a 12-point title, 10-point axis and tick labels,
// 3.5-point ticks outside the axes and no gap between the data and the
// axes. drawPlot adds the frame on all four sides.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(titleFontPt)
	p.Title.Padding = vg.Length(titlePadPt)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(labelFontPt)
		a.Label.Padding = vg.Length(labelPadPt)
		a.Tick.Label.Font = sans(tickFontPt)
		a.Tick.Length = vg.Length(tickLenPt)
		a.Tick.LineStyle.Width = spineWidth
		a.LineStyle.Width = spineWidth
		a.Padding = 0
	}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.Legend.TextStyle.Font = sans(labelFontPt)
	p.Legend.Padding = vg.Length(2)
	p.Legend.ThumbnailWidth = vg.Length(20)
	return p
}

// drawPlot draws p on c with a frame around its data area, on top of the
// data as matplotlib draws its spines.
func drawPlot(p *plot.Plot, c draw.Canvas) {
	p.Add(frame{})
	p.Draw(c)
}

// frame is a plot.Plotter that outlines the data area, adding the top and
// right spines that gonum's axes leave out. drawPlot adds it last.
type frame struct{}

func (frame) Plot(c draw.Canvas, _ *plot.Plot) {
	// Stroked on the underlying canvas: draw.Canvas.StrokeLines would clip
	// lines that lie on the data area's edge.
	c.SetLineStyle(draw.LineStyle{Color: color.Black, Width: spineWidth})
	c.Stroke(c.Rectangle.Path())
}

// autoTicker is matplotlib's AutoLocator and ScalarFormatter for an axis
// drawn over about lengthPx pixels.
func autoTicker(lengthPx float64, vertical bool) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		ts := autoTicks(lo, hi, lengthPx, vertical)
		labels := tickLabels(ts)
		out := make([]plot.Tick, len(ts))
		for i, t := range ts {
			out[i] = plot.Tick{Value: t, Label: labels[i]}
		}
		return out
	})
}

// integerTicker ticks whole numbers from lo to hi, every 1, 2, 5, 10, 20,
// 25, 50, 100, ... so that there are at most maxTicks of them.
func integerTicker(maxTicks int) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		first, last := math.Ceil(lo-1e-9), math.Floor(hi+1e-9)
		if !(first <= last) || maxTicks < 1 {
			return nil
		}
		count := func(step float64) float64 { return math.Floor(last/step) - math.Ceil(first/step) + 1 }
		step := 1.0
		for _, s := range []float64{1, 2, 5} {
			if step = s; count(s) <= float64(maxTicks) {
				break
			}
		}
		for mag := 10.0; count(step) > float64(maxTicks) && !math.IsInf(mag, 0); mag *= 10 {
			for _, m := range []float64{1, 2, 2.5, 5} {
				if step = m * mag; count(step) <= float64(maxTicks) {
					break
				}
			}
		}
		var out []plot.Tick
		for k := math.Ceil(first / step); k*step <= last && len(out) < maxTicks; k++ {
			v := k*step + 0 // no "-0" from a negative lo
			out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
		}
		return out
	})
}

// namedTicks ticks 0, 1, ... with the given labels, each cut to at most
// maxTickLabelPx pixels of tick font (see elide).
func namedTicks(names []string) plot.Ticker {
	sty := textStyle(tickFontPt, draw.XLeft, draw.YCenter)
	ts := make(plot.ConstantTicks, len(names))
	for i, n := range names {
		ts[i] = plot.Tick{Value: float64(i), Label: elide(n, sty, maxTickLabelPx)}
	}
	return ts
}

// maxTickLabelPx is the widest a class name is drawn on an axis: gonum
// makes room for the widest tick label, so a long name (a CSV's category,
// a folder's name) would squeeze the chart beside it to nothing.
const maxTickLabelPx = 150

// fitCaption returns the caption format makes of names, where it would be
// wider than maxPx pixels of sty with the longer names cut (see elide) to
// share what the rest of the caption and the shorter names leave.
func fitCaption(sty text.Style, maxPx float64, format func(names ...string) string, names ...string) string {
	s := format(names...)
	if sty.Width(s) <= px(maxPx) {
		return s
	}
	width := func(s string) float64 { return pt(float64(sty.Width(s))) }
	left := maxPx - width(format(make([]string, len(names))...))
	long := make([]bool, len(names))
	for i := range long {
		long[i] = true
	}
	// Names narrower than an equal share stay whole; the others share what
	// they leave.
	for n := len(names); n > 0; {
		kept := 0
		for i, name := range names {
			if long[i] && width(name) <= left/float64(n) {
				long[i], left, kept = false, left-width(name), kept+1
			}
		}
		if kept == 0 {
			break
		}
		n -= kept
	}
	cut := append([]string(nil), names...)
	n := 0
	for _, l := range long {
		if l {
			n++
		}
	}
	for i, l := range long {
		if l {
			cut[i] = elide(names[i], sty, left/float64(n))
		}
	}
	return format(cut...)
}

// elide returns s if it is at most maxPx pixels wide in sty, else its
// longest prefix that fits with an ellipsis after it.
func elide(s string, sty text.Style, maxPx float64) string {
	fits := func(t string) bool { return sty.Width(t) <= px(maxPx) }
	if fits(s) {
		return s
	}
	runes := []rune(s)
	// The longest prefix of k runes that fits: fits is monotone in k.
	k := sort.Search(len(runes)+1, func(k int) bool { return !fits(string(runes[:k]) + "…") }) - 1
	return string(runes[:max(k, 0)]) + "…"
}

// padded appends a space to every label of t: gonum sets tick labels
// right against the ticks, and matplotlib leaves 3.5 points (the width of
// about a space) between a y tick and its label.
func padded(t plot.Ticker) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		ts := t.Ticks(lo, hi)
		out := make([]plot.Tick, len(ts))
		for i, tk := range ts {
			out[i] = tk
			if tk.Label != "" {
				out[i].Label += " "
			}
		}
		return out
	})
}

// noTicks draws no ticks and no tick labels.
var noTicks = plot.ConstantTicks{}

// withMargins widens [lo, hi] by frac of its length on each side, as
// matplotlib's axes.xmargin and ymargin (0.05) do.
func withMargins(lo, hi, frac float64) (float64, float64) {
	d := hi - lo
	if d <= 0 {
		d = math.Max(math.Abs(lo), 1)
	}
	return lo - frac*d, hi + frac*d
}
