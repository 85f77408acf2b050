// Package browsertest starts Debian's headless Chromium for the tests that
// open Tailor's pages in a real browser (the report, the serving page),
// with the flags that work on a machine whose network is closed.
package browsertest

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tailor-ml/tailor/internal/testenv"
)

// Start returns a chromedp context on a fresh headless Chromium, its
// profile in a temporary directory, which times out after timeout, and a
// function that stops it all. Without Chromium the test is skipped,
// saying why (what is skipped is named by what) — except in CI, where it
// fails instead (testenv.Missing). With -short
// the test is skipped: starting Chromium takes seconds.
func Start(t *testing.T, what string, timeout time.Duration) (context.Context, func()) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: starting Chromium takes seconds")
	}
	skip := func(msg string) { testenv.Missing(t, "%s", msg) }
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		skip("Chromium is not installed (apt-get install chromium), so " + what + " cannot be tested in a browser")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
	)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	stop := func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	}
	if err := chromedp.Do(ctx); err != nil {
		stop()
		skip("Chromium (" + browser + ") cannot start here, so " + what + " cannot be tested in a browser: " + err.Error())
	}
	return ctx, stop
}
