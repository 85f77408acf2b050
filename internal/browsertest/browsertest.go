// Package browsertest starts Debian's headless Chromium for the tests that
// open Tailor's pages in a real browser (the report, the serving page),
// with the flags that work on a machine whose network is closed.
package browsertest

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

// Console collects the console messages of tab from now on. Call the
// function it returns when the page has done its work: it gives late
// messages 200 ms to arrive, stops collecting, and reports every error,
// exception and warning as a failure of t.
func Console(t *testing.T, tab context.Context) (check func()) {
	var (
		mu       sync.Mutex
		messages []string
	)
	listening, stop := context.WithCancel(tab)
	console := chromedp.Console(listening)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range console {
			if err != nil {
				return
			}
			mu.Lock()
			messages = append(messages, m.String())
			mu.Unlock()
		}
	}()
	return func() {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.Sleep(200*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		stop()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, msg := range messages {
			if strings.HasPrefix(msg, "error:") || strings.HasPrefix(msg, "exception:") || strings.HasPrefix(msg, "warning:") {
				t.Errorf("console: %s", msg)
			}
		}
	}
}
