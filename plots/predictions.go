package plots

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg/draw"

	"github.com/tailor-ml/tailor/tensor"
)

// Prediction is what a classifier made of one image: the image, its
// predicted probability for every class (a row of Model.Predict's
// softmax output) and, when known, its true class.
type Prediction struct {
	Image Image
	// Probabilities holds one probability per class.
	Probabilities []float32
	// Label is the true class, or -1 when it is not known.
	Label int
}

// Predicted is the most probable class (the first, on a tie).
func (p Prediction) Predicted() int { return tensor.Argmax(p.Probabilities) }

// Right reports whether the true class is known and is the predicted one.
func (p Prediction) Right() bool { return p.Label >= 0 && p.Label == p.Predicted() }

// validate checks p against the number of class names.
func (p Prediction) validate(classes int) error {
	if err := p.Image.Validate(); err != nil {
		return err
	}
	if len(p.Probabilities) != classes {
		return fmt.Errorf("plots: prediction has %d probabilities but there are %d class names", len(p.Probabilities), classes)
	}
	for j, v := range p.Probabilities {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("plots: probability of class %d is %v, want a value in [0, 1]", j, v)
		}
	}
	if p.Label < -1 || p.Label >= classes {
		return fmt.Errorf("plots: true class %d is out of range: want -1 (unknown) or 0 to %d", p.Label, classes-1)
	}
	return nil
}

// caption is TensorFlow's plot_image label, "Ankle boot 96% (Ankle boot)":
// the predicted class, its probability and the true class in brackets,
// blue when the prediction is right and red when it is wrong (black
// without a true class).
// Long class names are cut so that the caption fits in maxPx pixels of
// sty (see fitCaption).
func (p Prediction) caption(names []string, sty text.Style, maxPx float64) captionLine {
	k := p.Predicted()
	pct := fmt.Sprintf(" %2.0f%%", 100*p.Probabilities[k])
	if p.Label < 0 {
		return captionLine{fitCaption(sty, maxPx, func(n ...string) string { return n[0] + pct }, names[k]), color.Black}
	}
	col := Wrong
	if p.Right() {
		col = Right
	}
	s := fitCaption(sty, maxPx, func(n ...string) string { return n[0] + pct + " (" + n[1] + ")" }, names[k], names[p.Label])
	return captionLine{s, col}
}

// checkPredictions validates ps for drawing with classNames.
func checkPredictions(ps []Prediction, classNames []string) error {
	if len(ps) == 0 {
		return errors.New("plots: no predictions to draw")
	}
	if len(classNames) == 0 {
		return errors.New("plots: no class names")
	}
	for i, p := range ps {
		if err := p.validate(len(classNames)); err != nil {
			return fmt.Errorf("plots: prediction %d: %w", i, err)
		}
	}
	return nil
}

// clonePrediction copies p's slices, so a Figure keeps what it was given.
func clonePrediction(p Prediction) Prediction {
	p.Image.Pixels = append([]float32(nil), p.Image.Pixels...)
	p.Probabilities = append([]float32(nil), p.Probabilities...)
	return p
}

// PredictionFigure is the TensorFlow tutorial's look at one prediction,
// plt.figure(figsize=(6, 3)) with plot_image on the left and
// plot_value_array on the right: the image in the binary colormap with
// its caption under it (see Prediction), and a bar per class, grey, the
// predicted class's red and the true class's blue (so a right prediction's
// bar is blue). The figure is 600×300.
func PredictionFigure(p Prediction, classNames []string) (*Figure, error) {
	if err := checkPredictions([]Prediction{p}, classNames); err != nil {
		return nil, err
	}
	p, names := clonePrediction(p), append([]string(nil), classNames...)
	pic := binaryPicture(p.Image)
	return newFigure(600, 300, func(c draw.Canvas) {
		drawPrediction(c, p, pic, names, 0, 0, 600, 300, labelFontPt, false)
	}), nil
}

// PredictionGrid is the tutorial's grid of predictions with their true
// labels: rows of cols image + bar-chart pairs as in PredictionFigure,
// each pair 400×200 pixels (figsize=(2*2*num_cols, 2*num_rows)), so 15
// predictions in 3 columns make 1200×1000.
func PredictionGrid(ps []Prediction, classNames []string, cols int) (*Figure, error) {
	if cols <= 0 {
		return nil, fmt.Errorf("plots: prediction grid needs at least one column, got %d", cols)
	}
	if err := checkPredictions(ps, classNames); err != nil {
		return nil, err
	}
	ps = append([]Prediction(nil), ps...)
	pics := make([]*image.RGBA, len(ps))
	for i := range ps {
		ps[i] = clonePrediction(ps[i])
		pics[i] = binaryPicture(ps[i].Image)
	}
	names := append([]string(nil), classNames...)
	rows := (len(ps) + cols - 1) / cols
	fw, fh := 400*cols, 200*rows
	return newFigure(fw, fh, func(c draw.Canvas) {
		for i, p := range ps {
			x, y := float64(400*(i%cols)), float64(200*(i/cols))
			drawPrediction(c, p, pics[i], names, x, y, 400, 200, labelFontPt-1, false)
		}
	}), nil
}

// ValueArray is plot_value_array on its own, as the tutorial draws it for
// the single image it predicts at the end: the probability of each class
// as a bar, grey, the predicted class red and the true class blue, with
// the class names under the bars at 45°. The figure is 640×480.
func ValueArray(p Prediction, classNames []string) (*Figure, error) {
	if err := checkPredictions([]Prediction{p}, classNames); err != nil {
		return nil, err
	}
	p, names := clonePrediction(p), append([]string(nil), classNames...)
	return newFigure(DefaultWidth, DefaultHeight, func(c draw.Canvas) {
		// The first class name at 45° reaches left of its tick, further than
		// gonum's layout allows for.
		area := marginCanvas(c, 0.03)
		area.Min.X += px(50)
		drawPlot(valueArrayPlot(p, names, true), area)
	}), nil
}

// drawPrediction draws plot_image in the left half of the box of w×h
// pixels at (x, y) and plot_value_array in the right half.
func drawPrediction(c draw.Canvas, p Prediction, pic *image.RGBA, names []string, x, y, w, h, fontPt float64, classTicks bool) {
	pc := pixels{c}
	m := math.Round(0.06 * w / 2)
	captionH := pt(labelPadPt) + pt(fontPt)*1.3
	side := math.Min(w/2-2*m, h-2*m-captionH)
	ix0 := math.Round(x + (w/2-side)/2)
	iy0 := math.Round(y + m)
	ix1, iy1 := ix0+math.Round(side), iy0+math.Round(side)
	pc.picture(pic, ix0, iy0, ix1, iy1)
	pc.frame(ix0, iy0, ix1, iy1, color.Black)
	sty := textStyle(fontPt, draw.XCenter, draw.YTop)
	capLine := p.caption(names, sty, w/2)
	sty.Color = capLine.color
	pc.text(sty, capLine.text, (ix0+ix1)/2, iy1+1+pt(labelPadPt))

	// The bar chart's data area spans the image's height; its x tick
	// labels hang below.
	bp := valueArrayPlot(p, names, classTicks)
	bp.X.Tick.Label.Font = sans(fontPt)
	area := pc.c
	area.Rectangle = pc.rect(x+w/2+m, iy0, x+w-m, iy1)
	data := bp.DataCanvas(area)
	area.Min.Y -= data.Min.Y - area.Min.Y
	area.Max.X += area.Max.X - data.Max.X
	drawPlot(bp, area)
}

// valueArrayPlot is plot_value_array: bars of p's probabilities, grey
// (#777777), the predicted class red and then the true class blue, y from
// 0 to 1 without ticks, x ticked with the class indices, or with the class
// names at 45° when classTicks is set.
func valueArrayPlot(p Prediction, names []string, classTicks bool) *plot.Plot {
	bp := newPlot("", "", "")
	n := len(p.Probabilities)
	values, cols := make([]float64, n), make([]color.Color, n)
	for j, v := range p.Probabilities {
		values[j], cols[j] = float64(v), BarGrey
		switch j {
		case p.Label:
			cols[j] = Right
		case p.Predicted():
			cols[j] = Wrong
		}
	}
	bp.Add(bars{values: values, colors: cols})
	bp.X.Min, bp.X.Max = -0.6, float64(n)-0.4
	bp.Y.Min, bp.Y.Max = 0, 1
	bp.Y.Tick.Marker = noTicks
	if classTicks {
		bp.X.Tick.Marker = namedTicks(names)
		bp.X.Tick.Label.Rotation = math.Pi / 4
		bp.X.Tick.Label.XAlign, bp.X.Tick.Label.YAlign = draw.XRight, draw.YTop
	} else {
		bp.X.Tick.Marker = integerTicker(n)
	}
	return bp
}

// Mistakes draws the predictions as a gallery of cols columns: each image
// in the binary colormap with its predicted class and probability under
// it, red when wrong ("Shirt 97.3%", see Percent; blue if right), and its true class in
// blue ("true: T-shirt/top"), under a one-line title that says so. Give it
// the most confident mistakes (MostConfidentMistakes) to see what the model
// gets wrong with the most conviction. Each cell is 200×230 pixels, the
// title 40 high; class names too long for a cell are cut with an ellipsis,
// as in every caption.
func Mistakes(ps []Prediction, classNames []string, cols int) (*Figure, error) {
	if cols <= 0 {
		return nil, fmt.Errorf("plots: mistakes gallery needs at least one column, got %d", cols)
	}
	if err := checkPredictions(ps, classNames); err != nil {
		return nil, err
	}
	const cw, ch, titleH = 200, 230, 40
	sty := textStyle(labelFontPt, draw.XCenter, draw.YTop) // pixels.cell's
	cells := make([]cell, len(ps))
	for i, p := range ps {
		if p.Label < 0 {
			return nil, fmt.Errorf("plots: prediction %d has no true class to compare with", i)
		}
		k := p.Predicted()
		predCol := color.Color(Wrong)
		if p.Right() {
			predCol = Right
		}
		pct := " " + Percent(p.Probabilities[k])
		cells[i] = cell{picture: binaryPicture(p.Image), caption: []captionLine{
			{fitCaption(sty, cw-10, func(n ...string) string { return n[0] + pct }, classNames[k]), predCol},
			{fitCaption(sty, cw-10, func(n ...string) string { return "true: " + n[0] }, classNames[p.Label]), Right},
		}}
	}
	rows := (len(ps) + cols - 1) / cols
	fw, fh := cw*cols, titleH+ch*rows
	return newFigure(fw, fh, func(c draw.Canvas) {
		pc := pixels{c}
		pc.text(textStyle(titleFontPt, draw.XCenter, draw.YCenter), "Predicted class (red) and true class (blue)", float64(fw)/2, titleH/2+4)
		for i, cl := range cells {
			x, y := float64(cw*(i%cols)), float64(titleH+ch*(i/cols))
			pc.cell(cl, x+25, y+12, cw-50, cw-50)
		}
	}), nil
}

// Percent writes a probability as a percentage with one decimal, rounded
// down so that only a certainty shows as 100%: 0.9996 is "99.9%".
func Percent(p float32) string {
	return fmt.Sprintf("%.1f%%", math.Floor(float64(p)*1000+1e-3)/10)
}

// MostConfidentMistakes returns the indices of up to k examples whose
// predicted class (the argmax of their row of probs, an (N, classes)
// tensor) is not their label, the most confident first: by the predicted
// class's probability, then by index.
func MostConfidentMistakes(probs *tensor.Tensor, labels []uint8, k int) ([]int, error) {
	if probs == nil || len(probs.Shape) != 2 {
		return nil, errors.New("plots: probabilities must be an (examples, classes) tensor")
	}
	if probs.Shape[0] != len(labels) {
		return nil, fmt.Errorf("plots: %d rows of probabilities but %d labels", probs.Shape[0], len(labels))
	}
	type mistake struct {
		i int
		p float32
	}
	var ms []mistake
	for i, l := range labels {
		row := probs.Row(i)
		if int(l) >= len(row) {
			return nil, fmt.Errorf("plots: label %d of example %d is out of range for %d classes", l, i, len(row))
		}
		if best := tensor.Argmax(row); best != int(l) {
			ms = append(ms, mistake{i, row[best]})
		}
	}
	sort.SliceStable(ms, func(a, b int) bool { return ms[a].p > ms[b].p })
	out := make([]int, 0, min(k, len(ms)))
	for _, m := range ms[:min(max(k, 0), len(ms))] {
		out = append(out, m.i)
	}
	return out, nil
}
