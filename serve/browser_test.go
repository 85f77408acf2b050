package serve

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/internal/browsertest"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// TestPageInChromium drives the page in Debian's headless Chromium, at a
// phone's size (touch) and a laptop's (mouse), against a server of a model
// trained on the real data:
//
//   - the model card shows the test accuracy and its figures load;
//   - picking a real test image (a PNG of its 28×28 pixels) shows its true
//     class first, the very pixels the model received and ten bars;
//   - drawing a vertical stroke on the canvas gives a prediction whose
//     28×28 input has the stroke down its middle and dark corners;
//   - the console has no errors or warnings, every request goes to the
//     server (or is a data: or blob: URI), and the page is never wider than
//     the screen.
//
// Without Chromium it skips, saying why; in CI (CI=true), which installs
// Chromium (.ci/run), it fails instead. TAILOR_SCREENSHOTS=DIR keeps a
// screenshot of each screen in DIR.
func TestPageInChromium(t *testing.T) {
	f := trained(t)
	_, ts := newServer(t, []Model{{Name: "mlp", Version: "t1", Model: f.model, Meta: f.meta, Card: f.card}}, Options{})

	// A test image the model gets right with confidence, as a PNG file.
	probs, err := f.model.Predict(context.Background(), f.testX.Slice(0, 100), tailor.PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pick := -1
	for i := range 100 {
		p := probs.Row(i)
		if k := tensor.Argmax(p); k == int(f.test.Labels[i]) && p[k] > 0.9 {
			pick = i
			break
		}
	}
	if pick < 0 {
		t.Fatal("no test image among the first 100 is classified right with probability > 0.9")
	}
	wantClass := f.meta.ClassNames[f.test.Labels[pick]]
	dir := t.TempDir()
	imagePath := filepath.Join(dir, "test-image.png")
	if err := os.WriteFile(imagePath, pngOf(f.test.Image(pick), 28, 28), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("test image %d, a %s", pick, wantClass)

	ctx, stop := browsertest.Start(t, "the page", 120*time.Second)
	defer stop()

	for _, screen := range []struct {
		name          string
		width, height int64
		touch         bool
	}{{"phone", 390, 844, true}, {"laptop", 1366, 900, false}} {
		t.Run(screen.name, func(t *testing.T) {
			tab, closeTab := chromedp.NewContext(ctx)
			defer closeTab()
			checkConsole := browsertest.Console(t, tab)
			listening, stopListening := context.WithCancel(tab)
			var requests []string
			sent := chromedp.Events(listening, network.RequestWillBeSent)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for ev, err := range sent {
					if err != nil {
						return
					}
					requests = append(requests, ev.Request.URL)
				}
			}()
			opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
			if screen.touch {
				opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
			}
			if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(tab,
				chromedp.EmulateViewport(screen.width, screen.height, opts...),
				chromedp.Navigate(ts.URL+"/"),
			); err != nil {
				t.Fatalf("open %s: %v", ts.URL, err)
			}
			poll(t, tab, "the page to be ready", `document.body.dataset.ready === "true"`)

			// The model card.
			cardText := evalJS[string](t, tab, `document.getElementById("card-mlp").innerText`)
			if want := "Test accuracy " + formatAccuracy(f.card.Test.Accuracy); !strings.Contains(cardText, want) {
				t.Errorf("the card does not say %q:\n%s", want, cardText)
			}
			poll(t, tab, "the card's figures to load", `Array.from(document.querySelectorAll("#card-mlp img")).every(i => i.complete && i.naturalWidth > 0) && document.querySelectorAll("#card-mlp img").length === 3`)

			// Pick the test image.
			if err := chromedp.Do(tab, chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{imagePath})); err != nil {
				t.Fatal(err)
			}
			poll(t, tab, "the image's prediction", `document.body.dataset.state === "done" && document.getElementById("source").textContent.startsWith("test-image.png")`)
			if got := evalJS[string](t, tab, `document.getElementById("top-name").textContent`); got != wantClass {
				t.Errorf("the page shows %q first for a %s", got, wantClass)
			}
			if n := evalJS[int](t, tab, `document.querySelectorAll("#bars li").length`); n != 10 {
				t.Errorf("%d probability bars, want 10", n)
			}
			seen := seenPixels(t, tab)
			if seen.W != 28 || seen.H != 28 {
				t.Fatalf("the model's input is shown as %d×%d, want 28×28", seen.W, seen.H)
			}
			for i, v := range seen.Px {
				if v != int(f.test.Image(pick)[i]) {
					t.Fatalf("shown input pixel %d is %d, the image's is %d", i, v, f.test.Image(pick)[i])
				}
			}

			// Draw a vertical stroke down the middle of the pad.
			if err := chromedp.Do(tab, chromedp.ScrollIntoView(chromedp.CSS("#pad"))); err != nil {
				t.Fatal(err)
			}
			type rect struct{ X, Y, W, H float64 }
			r := evalJS[rect](t, tab, `(() => { const r = document.getElementById("pad").getBoundingClientRect(); return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`)
			var points [][2]float64
			for k := 0; k <= 20; k++ {
				points = append(points, [2]float64{r.X + r.W/2, r.Y + r.H*(0.2+0.6*float64(k)/20)})
			}
			stroke(t, tab, points, screen.touch)
			poll(t, tab, "the drawing's prediction", `document.body.dataset.state === "done" && document.getElementById("source").textContent.startsWith("Your drawing")`)
			seen = seenPixels(t, tab)
			if seen.W != 28 || seen.H != 28 {
				t.Fatalf("the drawing's input is shown as %d×%d, want 28×28", seen.W, seen.H)
			}
			at := func(row, col int) int { return seen.Px[row*28+col] }
			for _, row := range []int{8, 14, 19} {
				if v := max(at(row, 13), at(row, 14)); v < 200 {
					t.Errorf("the stroke's pixels at row %d are %d and %d: want it bright down the middle", row, at(row, 13), at(row, 14))
				}
			}
			for _, c := range [][2]int{{0, 0}, {0, 27}, {27, 0}, {27, 27}, {14, 3}, {14, 24}} {
				if v := at(c[0], c[1]); v != 0 {
					t.Errorf("pixel (%d, %d) of the drawing's input is %d, want the background's 0", c[0], c[1], v)
				}
			}
			if got := evalJS[string](t, tab, `document.getElementById("top-name").textContent`); got == "" {
				t.Error("no class shown for the drawing")
			}
			sum := evalJS[float64](t, tab, `Array.from(document.querySelectorAll("#bars .p")).length`)
			if sum != 10 {
				t.Errorf("%v bars for the drawing, want 10", sum)
			}
			if msg := evalJS[string](t, tab, `document.getElementById("error").hidden ? "" : document.getElementById("error").textContent`); msg != "" {
				t.Errorf("the page shows an error: %s", msg)
			}

			wide := evalJS[float64](t, tab, `document.documentElement.scrollWidth`)
			if wide > float64(screen.width) {
				t.Errorf("the page is %.0f px wide on a %d px screen", wide, screen.width)
			}
			if shots := os.Getenv("TAILOR_SCREENSHOTS"); shots != "" {
				shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(shots, "serve-"+screen.name+".png"), shot, 0o644); err != nil {
					t.Fatal(err)
				}
			}

			checkConsole()
			stopListening()
			<-done
			classified := 0
			for _, u := range requests {
				if !strings.HasPrefix(u, ts.URL+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
					t.Errorf("the page requested %s, outside the server", u)
				}
				if strings.Contains(u, ":classify") {
					classified++
				}
			}
			if classified < 2 {
				t.Errorf("%d classify requests seen, want at least 2 (the image and the drawing)", classified)
			}
		})
	}
}

// formatAccuracy writes an accuracy as the page does (toFixed(4)).
func formatAccuracy(a float64) string { return strconv.FormatFloat(a, 'f', 4, 64) }

// evalJS runs a JavaScript expression in the tab and returns its value.
func evalJS[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// poll waits until a JavaScript predicate holds in the tab.
func poll(t *testing.T, tab context.Context, what, predicate string) {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](predicate, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// picture is the shown 28×28 input, read back through a canvas.
type picture struct {
	W, H int
	Px   []int
}

func seenPixels(t *testing.T, tab context.Context) picture {
	t.Helper()
	p, err := chromedp.Run(tab, chromedp.Evaluate[picture](`new Promise((resolve) => {
		const img = document.getElementById("seen");
		const read = () => {
			const c = document.createElement("canvas");
			c.width = img.naturalWidth;
			c.height = img.naturalHeight;
			const g = c.getContext("2d");
			g.drawImage(img, 0, 0);
			const d = g.getImageData(0, 0, c.width, c.height).data;
			const px = [];
			for (let i = 0; i < d.length; i += 4) px.push(d[i]);
			resolve({W: c.width, H: c.height, Px: px});
		};
		if (img.complete && img.naturalWidth > 0) read(); else img.addEventListener("load", read, {once: true});
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// stroke draws through points with a finger (touch) or the left mouse
// button.
func stroke(t *testing.T, tab context.Context, points [][2]float64, touch bool) {
	t.Helper()
	var err error
	if touch {
		at := func(p [2]float64) []*input.TouchPoint { return []*input.TouchPoint{{X: p[0], Y: p[1]}} }
		_, err = chromedp.Call(tab, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: input.DispatchTouchEventTypeTouchStart, TouchPoints: at(points[0])})
		for _, p := range points[1:] {
			if err == nil {
				_, err = chromedp.Call(tab, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: input.DispatchTouchEventTypeTouchMove, TouchPoints: at(p)})
			}
		}
		if err == nil {
			_, err = chromedp.Call(tab, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: input.DispatchTouchEventTypeTouchEnd, TouchPoints: []*input.TouchPoint{}})
		}
	} else {
		first, last := points[0], points[len(points)-1]
		err = chromedp.Do(tab, chromedp.MouseEvent(chromedp.MousePressed, first[0], first[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
		for _, p := range points[1:] {
			if err == nil {
				err = chromedp.Do(tab, chromedp.MouseEvent(chromedp.MouseMoved, p[0], p[1], func(p *input.DispatchMouseEventParams) { p.Buttons = 1 }))
			}
		}
		if err == nil {
			err = chromedp.Do(tab, chromedp.MouseEvent(chromedp.MouseReleased, last[0], last[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
		}
	}
	if err != nil {
		t.Fatalf("drawing: %v", err)
	}
}

// TestPageOffersOnlyModelsItClassifies serves a model trained on a table
// first and an image model second: the page's model picker must offer the
// image model, selected, and not the table's (classify refuses it), so
// that a drawing is classified at once, without an error.
func TestPageOffersOnlyModelsItClassifies(t *testing.T) {
	p := tablePipeline(t)
	table := Model{Name: "table", Model: kindModel(t, []int{len(p.FeatureNames())}, 1, activations.Sigmoid), Meta: saving.Table(p)}
	_, ts := newServer(t, []Model{table, untrained(t)}, Options{})

	tab, checkConsole := openPage(t, ts.URL)
	if got := evalJS[string](t, tab, `document.getElementById("model").value`); got != "mlp" {
		t.Errorf("the picker selects %q, want mlp", got)
	}
	offered := evalJS[[]string](t, tab, `Array.from(document.getElementById("model").options).filter(o => !o.disabled).map(o => o.value)`)
	if !slices.Equal(offered, []string{"mlp"}) {
		t.Errorf("the picker offers %q, want only mlp", offered)
	}
	if n := evalJS[int](t, tab, `document.querySelectorAll("#cards article").length`); n != 2 {
		t.Errorf("%d model cards, want both models'", n)
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS("#classify-drawing"))); err != nil {
		t.Fatal(err)
	}
	poll(t, tab, "the drawing's answer", `["done", "error"].includes(document.body.dataset.state)`)
	if msg := evalJS[string](t, tab, `document.getElementById("error").hidden ? "" : document.getElementById("error").textContent`); msg != "" {
		t.Errorf("the page shows an error: %s", msg)
	}
	checkConsole()
}

// TestPageShowsTheLatestAnswer picks two images in turn while the server
// holds back the answer to the first until the second is shown: the page
// must keep showing the second image's answer, not the first's, which
// arrives last.
func TestPageShowsTheLatestAnswer(t *testing.T) {
	s, err := New([]Model{untrained(t)}, Options{ErrorLog: log.New(testWriter{t}, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	var held atomic.Bool
	release, answered := make(chan struct{}), make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ":classify") && held.CompareAndSwap(false, true) {
			<-release // the first classify request waits
			defer close(answered)
		}
		s.ServeHTTP(w, r)
	}))
	defer func() {
		ts.Close()
		s.Close()
	}()
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.png"), filepath.Join(dir, "second.png")
	px := make([]uint8, 784)
	if err := os.WriteFile(first, pngOf(px, 28, 28), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range px {
		px[i] = uint8(i % 200)
	}
	if err := os.WriteFile(second, pngOf(px, 28, 28), 0o644); err != nil {
		t.Fatal(err)
	}

	tab, _ := openPage(t, ts.URL)
	if err := chromedp.Do(tab, chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{first})); err != nil {
		t.Fatal(err)
	}
	poll(t, tab, "the first request to be held", `document.body.dataset.state === "classifying"`)
	if err := chromedp.Do(tab, chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{second})); err != nil {
		t.Fatal(err)
	}
	poll(t, tab, "the second image's answer", `document.getElementById("source").textContent.startsWith("second.png")`)
	close(release)
	<-answered
	// The first answer has been sent: wait until the page has received it
	// too, then give its script time to (wrongly) show it.
	poll(t, tab, "the first answer to arrive", `performance.getEntriesByType("resource").filter((e) => e.name.includes(":classify") && e.responseEnd > 0).length === 2`)
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`new Promise((resolve) => setTimeout(() => resolve(true), 500))`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	if got := evalJS[string](t, tab, `document.getElementById("source").textContent`); !strings.HasPrefix(got, "second.png") {
		t.Errorf("the page shows %q after the first image's late answer, want the second image's", got)
	}
	if got := evalJS[string](t, tab, `document.body.dataset.state`); got != "done" {
		t.Errorf("state %q, want done", got)
	}
}

// TestPadDrawsOnlyWithThePrimaryButton right-clicks the drawing pad (as a
// person opening the context menu does, whose menu then swallows the
// release on Linux and macOS): that must not draw, nor send the pad to
// the model; nor may the mouse, moved over the pad afterwards with no
// button down, draw.
func TestPadDrawsOnlyWithThePrimaryButton(t *testing.T) {
	_, ts := newServer(t, []Model{untrained(t)}, Options{})
	tab, checkConsole := openPage(t, ts.URL)
	if err := chromedp.Do(tab, chromedp.ScrollIntoView(chromedp.CSS("#pad"))); err != nil {
		t.Fatal(err)
	}
	type rect struct{ X, Y, W, H float64 }
	r := evalJS[rect](t, tab, `(() => { const r = document.getElementById("pad").getBoundingClientRect(); return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`)
	x, y := r.X+r.W/2, r.Y+r.H/2
	// A right press with no release, then moves with no button down.
	err := chromedp.Do(tab, chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonRight, chromedp.ClickCount(1)))
	for k := 1; k <= 10 && err == nil; k++ {
		err = chromedp.Do(tab, chromedp.MouseEvent(chromedp.MouseMoved, x+float64(k)*r.W/30, y+float64(k)*r.H/30))
	}
	if err != nil {
		t.Fatal(err)
	}
	// lit counts the pad's lit pixels in a square, read through a copy
	// (reading the pad itself twice makes Chromium warn).
	lit := func(x0, y0, side int) int {
		return evalJS[int](t, tab, fmt.Sprintf(`(() => {
			const c = document.createElement("canvas");
			c.width = c.height = %d;
			const g = c.getContext("2d");
			g.drawImage(document.getElementById("pad"), %d, %d, c.width, c.height, 0, 0, c.width, c.height);
			const d = g.getImageData(0, 0, c.width, c.height).data;
			let n = 0;
			for (let i = 0; i < d.length; i += 4) if (d[i] > 0) n++;
			return n;
		})()`, side, x0, y0))
	}
	if lit := lit(0, 0, 280); lit != 0 {
		t.Errorf("a right press and buttonless moves lit %d pixels of the pad, want none", lit)
	}
	if state := evalJS[string](t, tab, `document.body.dataset.state || ""`); state != "" {
		t.Errorf("the page's state is %q: the pad was sent to the model", state)
	}
	// A left press whose release is missed: the first move with no
	// button down ends the stroke, a dot, and sends it.
	err = chromedp.Do(tab, chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	for k := 1; k <= 10 && err == nil; k++ {
		err = chromedp.Do(tab, chromedp.MouseEvent(chromedp.MouseMoved, x+float64(k)*r.W/30, y+float64(k)*r.H/30))
	}
	if err != nil {
		t.Fatal(err)
	}
	poll(t, tab, "the dot's prediction", `document.body.dataset.state === "done"`)
	// The pad is 280 pixels wide: the dot is at 140, the moves went to
	// 233.
	if n := lit(130, 130, 20); n == 0 {
		t.Error("the left press drew no dot")
	}
	if n := lit(190, 190, 20); n != 0 {
		t.Errorf("%d pixels are lit where the mouse went with no button down", n)
	}
	checkConsole()
}

// openPage opens the server's page at url in a tab of a headless Chromium
// and waits until it is ready; checkConsole fails the test on the errors
// the page's console has logged so far. Browser and tab end with the
// test.
func openPage(t *testing.T, url string) (tab context.Context, checkConsole func()) {
	t.Helper()
	ctx, stop := browsertest.Start(t, "the page", 60*time.Second)
	t.Cleanup(stop)
	tab, closeTab := chromedp.NewContext(ctx)
	t.Cleanup(closeTab)
	checkConsole = browsertest.Console(t, tab)
	if err := chromedp.Do(tab, chromedp.Navigate(url+"/")); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	poll(t, tab, "the page to be ready", `document.body.dataset.ready === "true"`)
	return tab, checkConsole
}
