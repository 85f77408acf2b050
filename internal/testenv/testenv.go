// Package testenv is what tests that need something outside Go — Debian
// packages, Node.js, Chromium — do when it is missing: skip, saying what
// to install, except in CI (CI=true, which .ci/run sets after installing
// all of it), where a missing tool is a failure rather than a silent
// skip.
package testenv

import (
	"fmt"
	"os"
	"testing"
)

// Missing skips t, or fails it in CI, with the message.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI installs it: see .ci/run)")
	}
	t.Skip(msg)
}
