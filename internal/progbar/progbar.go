// Package progbar prints training progress the way Keras's Progbar does:
// a bar updated in place on a terminal ("verbose=1"), or one line at the
// end of each epoch otherwise ("verbose=2").
package progbar

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Value is one named figure shown after the bar, e.g. loss or accuracy.
type Value struct {
	Name  string
	Value float64
}

// Bar tracks progress towards a number of steps.
type Bar struct {
	w          io.Writer
	target     int
	dynamic    bool // redraw in place (a terminal) rather than print once
	start      time.Time
	lastUpdate time.Time
	lastWidth  int
	interval   time.Duration
	now        func() time.Time
	b          strings.Builder
}

// New returns a bar of target steps writing to w. With dynamic set, the
// bar is redrawn in place at most every 50ms, as on a terminal; otherwise
// only the final line is printed.
func New(w io.Writer, target int, dynamic bool) *Bar {
	return newWithClock(w, target, dynamic, time.Now)
}

func newWithClock(w io.Writer, target int, dynamic bool, now func() time.Time) *Bar {
	t := now()
	return &Bar{w: w, target: target, dynamic: dynamic, start: t, interval: 50 * time.Millisecond, now: now}
}

// Update reports that current steps are done, with the running values.
// The bar is drawn when it is dynamic and the last drawing is older than
// the refresh interval. A current past the target is shown as it is, with
// the bar full and an ETA of 0s.
func (p *Bar) Update(current int, values []Value) {
	if !p.dynamic {
		return
	}
	now := p.now()
	if now.Sub(p.lastUpdate) < p.interval {
		return
	}
	p.lastUpdate = now
	p.draw(current, values, now, false)
}

// Finish prints the final state and ends the line. extra values (such as
// validation figures) follow the running ones.
func (p *Bar) Finish(values []Value) {
	now := p.now()
	if p.dynamic {
		p.draw(p.target, values, now, true)
		return
	}
	Line(p.w, p.target, now.Sub(p.start), values)
}

func (p *Bar) draw(current int, values []Value, now time.Time, final bool) {
	const width = 30
	p.b.Reset()
	p.b.WriteByte('\r')
	fmt.Fprintf(&p.b, "%*d/%d [", digits(p.target), current, p.target)
	// A count past the target (or below 0) fills (or empties) the bar and
	// no more: strings.Repeat panicked on the negative rest.
	progWidth := min(max(width*current/max(p.target, 1), 0), width)
	if progWidth > 0 {
		p.b.WriteString(strings.Repeat("=", progWidth-1))
		if current < p.target {
			p.b.WriteByte('>')
		} else {
			p.b.WriteByte('=')
		}
	}
	p.b.WriteString(strings.Repeat(".", width-progWidth))
	p.b.WriteByte(']')
	elapsed := now.Sub(p.start).Seconds()
	perStep := elapsed / float64(max(current, 1))
	if final {
		fmt.Fprintf(&p.b, " - %.0fs%s", elapsed, formatPerStep(perStep))
	} else {
		fmt.Fprintf(&p.b, " - ETA: %s", formatETA(perStep*float64(max(p.target-current, 0))))
	}
	writeValues(&p.b, values)
	width2 := p.b.Len() - 1
	if width2 < p.lastWidth {
		p.b.WriteString(strings.Repeat(" ", p.lastWidth-width2))
	}
	p.lastWidth = width2
	if final {
		p.b.WriteByte('\n')
	}
	io.WriteString(p.w, p.b.String())
}

func writeValues(b *strings.Builder, values []Value) {
	for _, v := range values {
		switch {
		case math.IsNaN(v.Value): // as Python's % prints them, not Go's NaN and +Inf
			fmt.Fprintf(b, " - %s: nan", v.Name)
		case math.IsInf(v.Value, 1):
			fmt.Fprintf(b, " - %s: inf", v.Name)
		case math.IsInf(v.Value, -1):
			fmt.Fprintf(b, " - %s: -inf", v.Name)
		case math.Abs(v.Value) > 1e-3:
			fmt.Fprintf(b, " - %s: %.4f", v.Name, v.Value)
		default:
			fmt.Fprintf(b, " - %s: %.4e", v.Name, v.Value)
		}
	}
}

// formatPerStep formats seconds per step as Keras does: " 2ms/step".
func formatPerStep(s float64) string {
	switch {
	case s >= 1 || s == 0:
		return fmt.Sprintf(" %.0fs/step", s)
	case s >= 1e-3:
		return fmt.Sprintf(" %.0fms/step", s*1e3)
	default:
		return fmt.Sprintf(" %.0fus/step", s*1e6)
	}
}

func formatETA(s float64) string {
	e := int(s)
	switch {
	case e > 3600:
		return fmt.Sprintf("%d:%02d:%02d", e/3600, e%3600/60, e%60)
	case e > 60:
		return fmt.Sprintf("%d:%02d", e/60, e%60)
	default:
		return fmt.Sprintf("%ds", e)
	}
}

func digits(n int) int {
	return len(fmt.Sprint(max(n, 1)))
}

// Line prints a one-line summary of steps that took elapsed, as Keras's
// evaluate(verbose=2) does: "313/313 - 0s - loss: 0.3394 - accuracy: 0.8841
// - 425ms/epoch - 1ms/step".
func Line(w io.Writer, steps int, elapsed time.Duration, values []Value) {
	var b strings.Builder
	s := elapsed.Seconds()
	fmt.Fprintf(&b, "%d/%d - %.0fs", steps, steps, s)
	writeValues(&b, values)
	fmt.Fprintf(&b, " -%s/epoch -%s\n", strings.TrimSuffix(formatPerStep(s), "/step"), formatPerStep(s/float64(max(steps, 1))))
	io.WriteString(w, b.String())
}
