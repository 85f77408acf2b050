package plots

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ErrNoFiniteValues is what LearningCurve's error wraps when the metric
// has no finite value to draw (a loss that diverged from the first
// epoch), so that a caller can leave that figure out and keep the rest.
var ErrNoFiniteValues = errors.New("no finite values to draw")

// LearningCurve draws how a figure of training went, epoch by epoch, as
// Keras users draw history.history with matplotlib: history[metric] (the
// training figure, in tab:blue) and history["val_"+metric] (validation,
// in tab:orange) when Fit had validation data, against the epoch number
// counted from 1. epochs are Fit's zero-based epoch indices
// (tailor.History.Epochs); nil means 0, 1, 2, ... Non-finite values (a
// diverged loss) are left out; with none left the error wraps
// ErrNoFiniteValues. The figure is 640×480.
func LearningCurve(metric string, epochs []int, history map[string][]float64) (*Figure, error) {
	if metric == "" {
		return nil, errors.New(`plots: no metric named: want a key of the history, such as "loss"`)
	}
	train, ok := history[metric]
	if !ok {
		return nil, fmt.Errorf("plots: the history has no %q figures (it has %s)", metric, strings.Join(sortedKeys(history), ", "))
	}
	n := len(train)
	if epochs != nil && len(epochs) != n {
		return nil, fmt.Errorf("plots: the history has %d epochs but %d %q values", len(epochs), n, metric)
	}
	val, hasVal := history["val_"+metric]
	if hasVal && len(val) != n {
		return nil, fmt.Errorf("plots: the history has %d %q values but %d %q values", n, metric, len(val), "val_"+metric)
	}
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(i + 1)
		if epochs != nil {
			xs[i] = float64(epochs[i] + 1)
		}
	}
	trainXY, valXY := finitePoints(xs, train), finitePoints(xs, val)
	if len(trainXY) == 0 {
		return nil, fmt.Errorf("plots: the history's %q: %w", metric, ErrNoFiniteValues)
	}
	name := strings.ReplaceAll(metric, "_", " ")
	title := "Training " + name
	if len(valXY) > 0 {
		title = "Training and validation " + name
	}
	build := func() (*plot.Plot, error) {
		first, size := utf8.DecodeRuneInString(name)
		p := newPlot(title, "Epoch", string(unicode.ToUpper(first))+name[size:])
		p.X.Tick.Marker = integerTicker(10)
		p.Y.Tick.Marker = padded(autoTicker(370, true))
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, s := range []struct {
			label string
			xys   plotter.XYs
			col   color.Color
		}{{"training", trainXY, TabBlue}, {"validation", valXY, TabOrange}} {
			if len(s.xys) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(s.xys)
			if err != nil {
				return nil, fmt.Errorf("plots: %s %s curve: %w", s.label, metric, err)
			}
			line.Color, line.Width = s.col, vg.Length(1.5)
			points.Color, points.Shape, points.Radius = s.col, draw.CircleGlyph{}, vg.Length(2.5)
			p.Add(line, points)
			p.Legend.Add(s.label, line, points)
			for _, xy := range s.xys {
				lo, hi = math.Min(lo, xy.Y), math.Max(hi, xy.Y)
			}
		}
		x0, x1 := xs[0], xs[n-1]
		if epochs != nil {
			x0, x1 = math.Inf(1), math.Inf(-1)
			for _, x := range xs {
				x0, x1 = math.Min(x0, x), math.Max(x1, x)
			}
		}
		p.X.Min, p.X.Max = withMargins(x0, x1, 0.05)
		p.Y.Min, p.Y.Max = withMargins(lo, hi, 0.05)
		// A falling loss leaves the top right free, a rising accuracy the
		// bottom right.
		p.Legend.Top = !(trainXY[len(trainXY)-1].Y > trainXY[0].Y)
		p.Legend.XOffs, p.Legend.YOffs = -vg.Length(8), vg.Length(6)
		if p.Legend.Top {
			p.Legend.YOffs = -p.Legend.YOffs
		}
		return p, nil
	}
	return plotFigure(build, DefaultWidth, DefaultHeight)
}

// finitePoints pairs xs and ys, leaving out non-finite ys.
func finitePoints(xs, ys []float64) plotter.XYs {
	var out plotter.XYs
	for i, y := range ys {
		if !math.IsNaN(y) && !math.IsInf(y, 0) {
			out = append(out, plotter.XY{X: xs[i], Y: y})
		}
	}
	return out
}

// plotFigure is a figure of w×h pixels that shows the plot build makes,
// inside a small outer margin. build runs once here, to report its error,
// and again each time the figure is drawn, so that no two drawings share
// a gonum plot.
func plotFigure(build func() (*plot.Plot, error), w, h int) (*Figure, error) {
	if _, err := build(); err != nil {
		return nil, err
	}
	return newFigure(w, h, func(c draw.Canvas) {
		p, err := build()
		if err != nil {
			panic(err) // it succeeded on the same data before
		}
		drawPlot(p, marginCanvas(c, 0.03))
	}), nil
}

// marginCanvas is c less frac of its smaller side on every edge.
func marginCanvas(c draw.Canvas, frac float64) draw.Canvas {
	s := c.Rectangle.Size()
	m := vg.Length(frac) * min(s.X, s.Y)
	return draw.Crop(c, m, -m, m, -m)
}

// ConfusionOptions controls ConfusionMatrix.
type ConfusionOptions struct {
	// Normalize divides each row by its total, so that a cell shows the
	// fraction of a true class predicted as each class and the diagonal
	// is each class's recall (sklearn's normalize="true").
	Normalize bool
	// Title replaces the default "Confusion matrix".
	Title string
}

// ConfusionMatrix draws m, with m[i][j] the number of examples of true
// class i predicted as class j, as sklearn's ConfusionMatrixDisplay does:
// a heat map in viridis with the count (or, normalised, the fraction) in
// every cell wide enough for it (with a hundred classes, none is), in
// white on dark cells and black on light ones, true classes
// down the left, predicted classes along the bottom, both named by
// classNames (a name wider than 150 pixels cut with an ellipsis), and a
// colour bar. The figure is 800×700.
func ConfusionMatrix(m [][]int, classNames []string, opts ConfusionOptions) (*Figure, error) {
	n := len(m)
	if n == 0 {
		return nil, errors.New("plots: the confusion matrix is empty")
	}
	if len(classNames) != n {
		return nil, fmt.Errorf("plots: the confusion matrix has %d classes but %d class names", n, len(classNames))
	}
	z := make([][]float64, n)
	for i, row := range m {
		if len(row) != n {
			return nil, fmt.Errorf("plots: confusion matrix row %d has %d columns, want %d", i, len(row), n)
		}
		total := 0
		for j, v := range row {
			if v < 0 {
				return nil, fmt.Errorf("plots: confusion matrix cell (%d, %d) is %d, want a count ≥ 0", i, j, v)
			}
			total += v
		}
		z[i] = make([]float64, n)
		for j, v := range row {
			z[i][j] = float64(v)
			if opts.Normalize && total > 0 {
				z[i][j] /= float64(total)
			}
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range z {
		for _, v := range row {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if opts.Normalize {
		lo, hi = 0, 1
	}
	title := opts.Title
	if title == "" {
		title = "Confusion matrix"
		if opts.Normalize {
			title = "Confusion matrix (each row sums to 1)"
		}
	}
	names := append([]string(nil), classNames...)
	barLo, barHi := nonsingular(lo, hi)
	build := func() *plot.Plot {
		p := newPlot(title, "Predicted label", "True label")
		heat := plotter.NewHeatMap(matrixGrid(z), colormapPalette{Viridis})
		heat.Min, heat.Max = barLo, barHi
		heat.Rasterized = true
		p.Add(heat, cellLabels{z: z, normalize: opts.Normalize, lo: barLo, hi: barHi})
		p.X.Tick.Marker, p.Y.Tick.Marker = namedTicks(names), padded(namedTicks(reversed(names)))
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YTop
		p.X.Min, p.X.Max = -0.5, float64(n)-0.5
		p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
		return p
	}

	const fw, fh = 800, 700
	return newFigure(fw, fh, func(c draw.Canvas) {
		area := marginCanvas(c, 0.03)
		// Leave the right for the colour bar and its labels, then make the
		// cells square, as imshow's aspect="equal" does.
		area.Max.X -= px(110)
		p := build()
		data := p.DataCanvas(area)
		if d := data.Size().X - data.Size().Y; d > 0 {
			area.Max.X -= d
		} else {
			area.Max.Y += d
		}
		drawPlot(p, area)
		data = p.DataCanvas(area)
		// The colour bar: as tall as the matrix, 1/20 as wide, 20 pixels
		// to its right.
		pc := pixels{c}
		_, y0, x1, y1 := pc.toPixels(data.Rectangle)
		cx0 := math.Round(x1 + 20)
		cx1 := math.Round(cx0 + (y1-y0)/20)
		pc.colorBar(Viridis, barLo, barHi, cx0, math.Round(y0), cx1, math.Round(y1))
	}), nil
}

// matrixGrid is a square matrix as a plotter.GridXYZ upside down, row 0
// at the top: column c at x = c, row r at y = n-1-r.
type matrixGrid [][]float64

func (g matrixGrid) Dims() (c, r int)   { return len(g), len(g) }
func (g matrixGrid) Z(c, r int) float64 { return g[len(g)-1-r][c] }
func (g matrixGrid) X(c int) float64    { return float64(c) }
func (g matrixGrid) Y(r int) float64    { return float64(r) }

// colormapPalette is a Colormap as a gonum palette of its 256 colours.
type colormapPalette struct{ cm *Colormap }

func (p colormapPalette) Colors() []color.Color {
	out := make([]color.Color, len(p.cm.lut))
	for i, c := range p.cm.lut {
		out[i] = c
	}
	return out
}

// cellLabels writes each cell's value at its centre, white on dark cells
// and black on light ones, where it fits in the cell: the cells of many
// classes are too small for any, and would make the figure grow with the
// square of the classes.
type cellLabels struct {
	z         [][]float64
	normalize bool
	lo, hi    float64
}

func (l cellLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	norm := normalizer(l.lo, l.hi)
	sty := textStyle(tickFontPt, draw.XCenter, draw.YCenter)
	cellW, cellH := trX(1)-trX(0), trY(1)-trY(0)
	if cellH < 0 {
		cellH = -cellH
	}
	if sty.Height("0") > cellH || sty.Width("0") > cellW {
		return
	}
	for r, row := range l.z {
		for k, v := range row {
			s := fmt.Sprintf("%.0f", v)
			if l.normalize {
				s = fmt.Sprintf("%.2f", v)
			}
			if sty.Width(s) > cellW {
				continue
			}
			sty.Color = color.White
			if luminance(Viridis.At(norm(v))) > 0.5 {
				sty.Color = color.Black
			}
			c.FillText(sty, vg.Point{X: trX(float64(k)), Y: trY(float64(len(l.z) - 1 - r))}, s)
		}
	}
}

// luminance is the relative luminance of c, 0 for black to 1 for white.
func luminance(c color.RGBA) float64 {
	return (0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)) / 255
}

// PerClassAccuracy draws each class's accuracy (the fraction of its
// examples predicted right) as a horizontal bar, class 0 at the top, its
// value in a column on the right, and the overall accuracy, if it is in
// [0, 1], as a dashed line, named in the title. Pass a negative overall to
// leave it out. An accuracy of NaN marks a class with no examples, whose
// accuracy is undefined: it gets no bar and "n/a" for its value. Class
// names wider than 150 pixels are cut with an ellipsis. The figure is
// 640×480.
func PerClassAccuracy(acc []float64, classNames []string, overall float64) (*Figure, error) {
	n := len(acc)
	if n == 0 {
		return nil, errors.New("plots: no per-class accuracies to draw")
	}
	if len(classNames) != n {
		return nil, fmt.Errorf("plots: %d per-class accuracies but %d class names", n, len(classNames))
	}
	for i, a := range acc {
		if !(a >= 0 && a <= 1) && !math.IsNaN(a) {
			return nil, fmt.Errorf("plots: accuracy of class %d (%s) is %v, want a fraction in [0, 1] (or NaN for a class with no examples)", i, classNames[i], a)
		}
	}
	acc = append([]float64(nil), acc...)
	names := append([]string(nil), classNames...)
	build := func() (*plot.Plot, error) {
		title := "Accuracy per class"
		if overall >= 0 && overall <= 1 {
			title = fmt.Sprintf("Accuracy per class (dashed: overall, %.4f)", overall)
		}
		p := newPlot(title, "Accuracy", "")
		cols := make([]color.Color, n)
		for i := range cols {
			cols[i] = TabBlue
		}
		p.Add(bars{values: acc, colors: cols, horizontal: true}, barValues{values: acc})
		p.Y.Tick.Marker = padded(namedTicks(names))
		p.Y.Scale = plot.InvertedScale{Normalizer: plot.LinearScale{}}
		p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
		p.X.Min, p.X.Max = 0, 1.12
		p.X.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0.0"}, {Value: 0.2, Label: "0.2"}, {Value: 0.4, Label: "0.4"},
			{Value: 0.6, Label: "0.6"}, {Value: 0.8, Label: "0.8"}, {Value: 1, Label: "1.0"}}
		if overall >= 0 && overall <= 1 {
			line, err := plotter.NewLine(plotter.XYs{{X: overall, Y: -0.6}, {X: overall, Y: float64(n) - 0.4}})
			if err != nil {
				return nil, fmt.Errorf("plots: overall accuracy line: %w", err)
			}
			line.Color, line.Width = color.Black, vg.Length(1)
			line.Dashes = []vg.Length{vg.Length(4), vg.Length(3)}
			p.Add(line)
		}
		return p, nil
	}
	return plotFigure(build, DefaultWidth, DefaultHeight)
}

// bars is a plot.Plotter of bars 0.8 wide in data units, bar i at i, from
// 0 to values[i], in colors[i]; horizontal bars run along x. A NaN value
// has no bar.
type bars struct {
	values     []float64
	colors     []color.Color
	horizontal bool
}

func (b bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, v := range b.values {
		if math.IsNaN(v) {
			continue
		}
		lo, hi := float64(i)-0.4, float64(i)+0.4
		r := vg.Rectangle{Min: vg.Point{X: trX(lo), Y: trY(0)}, Max: vg.Point{X: trX(hi), Y: trY(v)}}
		if b.horizontal {
			r = vg.Rectangle{Min: vg.Point{X: trX(0), Y: trY(lo)}, Max: vg.Point{X: trX(v), Y: trY(hi)}}
		}
		r.Min.X, r.Max.X = min(r.Min.X, r.Max.X), max(r.Min.X, r.Max.X)
		r.Min.Y, r.Max.Y = min(r.Min.Y, r.Max.Y), max(r.Min.Y, r.Max.Y)
		if r.Size().X <= 0 || r.Size().Y <= 0 {
			continue
		}
		c.SetColor(b.colors[i])
		c.Fill(r.Path())
	}
}

// barValues writes each horizontal bar's value in a column right of
// x = 1, where neither the bars nor the overall line reach; a NaN value
// (no examples) reads "n/a".
type barValues struct{ values []float64 }

func (b barValues) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := textStyle(tickFontPt-1, draw.XLeft, draw.YCenter)
	for i, v := range b.values {
		label := "n/a"
		if !math.IsNaN(v) {
			label = fmt.Sprintf("%.3f", v)
		}
		c.FillText(sty, vg.Point{X: trX(1) + vg.Length(4), Y: trY(float64(i)) + vg.Length(1)}, label)
	}
}

// reversed is a reversed copy of names.
func reversed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[len(names)-1-i] = n
	}
	return out
}

// sortedKeys is m's keys in order.
func sortedKeys(m map[string][]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
