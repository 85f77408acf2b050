package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tailor-ml/tailor/internal/browsertest"
)

// TestReportInChromium opens a report in Debian's headless Chromium at a
// phone's width and at a laptop's, and checks that the page logs no
// errors, that every image loads, and that nothing but the scrolling
// boxes is wider than the screen. It keeps a full-page screenshot of each;
// set TAILOR_SCREENSHOTS=DIR to keep them in DIR, and TAILOR_REPORT=FILE
// to open that report instead of a made-up one.
//
// Without Chromium it skips, saying why; in CI (CI=true), which installs
// Chromium (.ci/run), it fails instead.
func TestReportInChromium(t *testing.T) {
	dir := t.TempDir()
	page := os.Getenv("TAILOR_REPORT")
	wantImages := -1 // unknown for a report given from outside
	if page == "" {
		r := sampleReport()
		var buf bytes.Buffer
		if err := Write(&buf, r); err != nil {
			t.Fatal(err)
		}
		page = filepath.Join(dir, "report.html")
		if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		wantImages = 5 + len(r.Mistakes)
	}
	page, err := filepath.Abs(page)
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("TAILOR_SCREENSHOTS")
	if shots == "" {
		shots = dir
	}

	ctx, stop := browsertest.Start(t, "the report", 90*time.Second)
	defer stop()

	for _, screen := range []struct {
		name          string
		width, height int64
	}{{"phone", 390, 844}, {"laptop", 1366, 900}} {
		t.Run(screen.name, func(t *testing.T) {
			tab, closeTab := chromedp.NewContext(ctx)
			defer closeTab()
			checkConsole := browsertest.Console(t, tab)
			if err := chromedp.Do(tab,
				chromedp.EmulateViewport(screen.width, screen.height),
				chromedp.Navigate("file://"+page),
				chromedp.WaitReady(chromedp.CSS("footer")),
			); err != nil {
				t.Fatalf("open %s: %v", page, err)
			}

			type imageState struct {
				Alt                 string
				Complete            bool
				NaturalWidth, Width float64
			}
			imgs, err := chromedp.Run(tab, chromedp.Evaluate[[]imageState](`Array.from(document.images, i => ({
				Alt: i.alt, Complete: i.complete, NaturalWidth: i.naturalWidth, Width: i.getBoundingClientRect().width}))`))
			if err != nil {
				t.Fatal(err)
			}
			if wantImages >= 0 && len(imgs) != wantImages {
				t.Errorf("%d images on the page, want %d", len(imgs), wantImages)
			}
			for _, im := range imgs {
				if !im.Complete || im.NaturalWidth == 0 {
					t.Errorf("image %q did not load (complete %v, natural width %v)", im.Alt, im.Complete, im.NaturalWidth)
				}
				if im.Width > float64(screen.width) {
					t.Errorf("image %q is %.0f px wide on a %d px screen", im.Alt, im.Width, screen.width)
				}
			}
			// Wide tables and the summary scroll in their own boxes; the page
			// itself never scrolls sideways.
			wide, err := chromedp.Run(tab, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if wide > float64(screen.width) {
				t.Errorf("the page is %.0f px wide on a %d px screen", wide, screen.width)
			}

			shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			m, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			if m.Bounds().Dx() != int(screen.width) {
				t.Errorf("screenshot is %d px wide, want %d", m.Bounds().Dx(), screen.width)
			}
			out := filepath.Join(shots, "report-"+screen.name+".png")
			if err := os.WriteFile(out, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot %s: %v", out, m.Bounds().Size())
			checkConsole()
		})
	}
}
