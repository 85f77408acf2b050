package progbar

import (
	"math"
	"strings"
	"testing"
	"time"
)

// clock is a fake time source that the test advances by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func (c *clock) set(d time.Duration) { c.t = time.Unix(1000, 0).Add(d) }

func newBar(target int, dynamic bool) (*Bar, *strings.Builder, *clock) {
	var w strings.Builder
	c := &clock{}
	c.set(0)
	return newWithClock(&w, target, dynamic, c.now), &w, c
}

var tutorialValues = []Value{{"loss", 0.4977}, {"accuracy", 0.8262}}

func TestBarFinish(t *testing.T) {
	b, w, c := newBar(1875, true)
	c.set(2100 * time.Millisecond)
	b.Finish(tutorialValues)
	want := "\r1875/1875 [==============================] - 2s 1ms/step - loss: 0.4977 - accuracy: 0.8262\n"
	if got := w.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestBarInProgress(t *testing.T) {
	tests := []struct {
		current int
		at      time.Duration
		want    string
	}{
		// 30·600/1875 = 9.6: eight '=' and the head; ETA 1s/600·1275.
		{600, time.Second, "\r 600/1875 [========>.....................] - ETA: 2s - loss: 0.5123 - accuracy: 0.8010"},
		{1, 10 * time.Millisecond, "\r   1/1875 [..............................] - ETA: 18s - loss: 0.5123 - accuracy: 0.8010"},
		{63, 10 * time.Second, "\r  63/1875 [>.............................] - ETA: 4:47 - loss: 0.5123 - accuracy: 0.8010"},
		{10, 20 * time.Second, "\r  10/1875 [..............................] - ETA: 1:02:10 - loss: 0.5123 - accuracy: 0.8010"},
		// 30·1874/1875 = 29.98: the head still shows, one dot left.
		{1874, 2 * time.Second, "\r1874/1875 [============================>.] - ETA: 0s - loss: 0.5123 - accuracy: 0.8010"},
	}
	for _, tt := range tests {
		b, w, c := newBar(1875, true)
		c.set(tt.at)
		b.Update(tt.current, []Value{{"loss", 0.5123}, {"accuracy", 0.8010}})
		if got := w.String(); got != tt.want {
			t.Errorf("step %d:\ngot  %q\nwant %q", tt.current, got, tt.want)
		}
	}
}

// TestBarPastTarget checks that a count past the target (a generator
// that yields more batches than it said) draws a full bar and an ETA of
// 0s; it panicked on a negative strings.Repeat count. A count below 0
// draws an empty bar.
func TestBarPastTarget(t *testing.T) {
	for _, tt := range []struct {
		current int
		want    string
	}{
		{5, "5/3 [==============================] - ETA: 0s"},
		{-1, "-1/3 [..............................] - ETA: 4s"},
	} {
		b, w, c := newBar(3, true)
		c.set(time.Second)
		b.Update(tt.current, nil)
		if got := w.String(); got != tt.want {
			t.Errorf("step %d of 3:\ngot  %q\nwant %q", tt.current, got, tt.want)
		}
	}
}

// TestBarRedraw checks the refresh interval and that a shorter line
// blanks out the rest of the longer one before it.
func TestBarRedraw(t *testing.T) {
	b, w, c := newBar(10, true)
	c.set(time.Second)
	b.Update(5, []Value{{"loss", 1.5e-4}})
	first := "\r 5/10 [==============>...............] - ETA: 1s - loss: 1.5000e-04"
	if got := w.String(); got != first {
		t.Fatalf("got  %q\nwant %q", got, first)
	}
	w.Reset()
	c.set(time.Second + 49*time.Millisecond)
	b.Update(6, []Value{{"loss", 1}})
	if got := w.String(); got != "" {
		t.Fatalf("redrawn after 49ms: %q", got)
	}
	c.set(2 * time.Second)
	b.Update(7, []Value{{"loss", 0.25}})
	// 4 characters shorter than the first line: "1.5000e-04" against
	// "0.2500".
	second := "\r 7/10 [====================>.........] - ETA: 0s - loss: 0.2500    "
	if got := w.String(); got != second {
		t.Fatalf("got  %q\nwant %q", got, second)
	}
	w.Reset()
	c.set(3 * time.Second)
	b.Finish([]Value{{"loss", 0.25}, {"val_loss", 0.5}})
	last := "\r10/10 [==============================] - 3s 300ms/step - loss: 0.2500 - val_loss: 0.5000\n"
	if got := w.String(); got != last {
		t.Fatalf("got  %q\nwant %q", got, last)
	}
}

func TestBarNotTerminal(t *testing.T) {
	b, w, c := newBar(1875, false)
	c.set(time.Second)
	b.Update(600, tutorialValues)
	if w.Len() != 0 {
		t.Fatalf("Update printed %q off a terminal", w.String())
	}
	c.set(2100 * time.Millisecond)
	b.Finish(tutorialValues)
	want := "1875/1875 - 2s - loss: 0.4977 - accuracy: 0.8262 - 2s/epoch - 1ms/step\n"
	if got := w.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestLine(t *testing.T) {
	var w strings.Builder
	Line(&w, 313, 425*time.Millisecond, []Value{{"loss", 0.3394}, {"accuracy", 0.8841}})
	want := "313/313 - 0s - loss: 0.3394 - accuracy: 0.8841 - 425ms/epoch - 1ms/step\n"
	if got := w.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestValueFormat(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0.5, " - x: 0.5000"},
		{0.0011, " - x: 0.0011"},
		{1e-3, " - x: 1.0000e-03"}, // not above 1e-3
		{2.5e-4, " - x: 2.5000e-04"},
		{0, " - x: 0.0000e+00"},
		{-0.5, " - x: -0.5000"},
		{-1e-4, " - x: -1.0000e-04"},
		{1234.56789, " - x: 1234.5679"},
		// A diverged loss prints as Keras prints it, not as Go's NaN and +Inf.
		{math.NaN(), " - x: nan"},
		{math.Inf(1), " - x: inf"},
		{math.Inf(-1), " - x: -inf"},
	}
	for _, tt := range tests {
		var b strings.Builder
		writeValues(&b, []Value{{"x", tt.v}})
		if got := b.String(); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestTimeFormat(t *testing.T) {
	perStep := []struct {
		s    float64
		want string
	}{
		{0, " 0s/step"},
		{1.5, " 2s/step"},
		{1, " 1s/step"},
		{0.0015, " 2ms/step"},
		{0.001, " 1ms/step"},
		{2e-4, " 200us/step"},
	}
	for _, tt := range perStep {
		if got := formatPerStep(tt.s); got != tt.want {
			t.Errorf("formatPerStep(%v) = %q, want %q", tt.s, got, tt.want)
		}
	}
	eta := []struct {
		s    float64
		want string
	}{
		{0.4, "0s"},
		{59.9, "59s"},
		{60, "60s"},
		{61, "1:01"},
		{3600, "60:00"},
		{3601, "1:00:01"},
		{7322, "2:02:02"},
	}
	for _, tt := range eta {
		if got := formatETA(tt.s); got != tt.want {
			t.Errorf("formatETA(%v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}
