//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tailor-ml/tailor/internal/hostile"
	"github.com/tailor-ml/tailor/saving"
)

// TestOutputsAreRegularFiles: row "--out or --json naming a symlink / a
// device node". A link is written through, a pipe or a directory refused
// before any work.
func TestOutputsAreRegularFiles(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.tailor")
	untrained(t, model)
	img := filepath.Join(dir, "img.png")
	writePNG(t, img, 28, 28, hostile.Gray, nil)
	os.Mkdir(filepath.Join(dir, "results"), 0o755)
	target := filepath.Join(dir, "results", "pred.json")
	link := filepath.Join(dir, "pred.json")
	os.Symlink("results/pred.json", link)
	if code, _, errOut := runCLI(t, "predict", model, img, "--json", link); code != 0 {
		t.Fatalf("predict --json link: exit %d: %s", code, errOut)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", st.Mode(), err)
	}
	var preds []prediction
	readJSONFile(t, target, &preds)
	if len(preds) != 1 || preds[0].Input != img {
		t.Errorf("the link's target holds %+v", preds)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"train", "--out", fifo},
		{"train", "--json", fifo},
		{"train", "--out", filepath.Join(dir, "results")},
		{"evaluate", model, "--json", fifo},
		{"predict", model, img, "--json", fifo},
		{"show", "-o", fifo},
		{"bench", "--json", fifo},
	} {
		code, out, errOut := runCLI(t, args...)
		if code != 1 || !strings.Contains(errOut, "not a regular file: refusing to replace it") || out != "" || strings.Contains(errOut, "fashionmnist") {
			t.Errorf("tailor %v: exit %d, %q %q; want a refusal before any work", args, code, out, errOut)
		}
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Error("the pipe was replaced")
	}
}

// TestOutputsAreNotTheCheckpointThroughLinks: --out or --json naming a
// file of the checkpoint directory by another path — the directory
// reached through a symbolic link, or a link to the file — is refused
// before any work as the plain path is: the model was saved there, then
// removed with the checkpoint, and the run exited 0 having kept nothing.
func TestOutputsAreNotTheCheckpointThroughLinks(t *testing.T) {
	dir := t.TempDir()
	real, ck := filepath.Join(dir, "real"), filepath.Join(dir, "ck")
	os.Mkdir(real, 0o755)
	os.Symlink("real", ck)
	link := filepath.Join(dir, "m.tailor")
	os.Symlink("real/"+saving.CheckpointFile, link)
	for _, tc := range []struct{ ckpt, flag, path string }{
		{ck, "--out", filepath.Join(real, saving.CheckpointFile)},
		{real, "--out", filepath.Join(ck, saving.CheckpointFile)},
		{ck, "--json", filepath.Join(real, settingsFile)},
		{ck, "--out", link},
	} {
		code, stdout, errOut := runCLI(t, "train", "--epochs", "1", "--train-limit", "64", "--quiet", "--checkpoint-dir", tc.ckpt, tc.flag, tc.path)
		want := "tailor train: " + tc.flag + " " + tc.path + ": a file of --checkpoint-dir " + tc.ckpt + ", which the run replaces and removes"
		if code != 1 || !strings.Contains(errOut, want) || strings.Contains(stdout, "Epoch") || strings.Contains(errOut, "loading from") {
			t.Errorf("--checkpoint-dir %s %s %s: exit %d, %q %q; want %q before any work", tc.ckpt, tc.flag, tc.path, code, stdout, errOut, want)
		}
	}
}

// TestOutputsSpelledApart: two outputs naming one file, one relative and
// one absolute or one through a symbolic link, are refused as the same
// spelling is; train --csv wrote --save-split, then --json over it.
func TestOutputsSpelledApart(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "churn.csv")
	writeCustomers(t, data, customers(60, 4), false, nil)
	os.Mkdir(filepath.Join(dir, "real"), 0o755)
	os.Symlink("real", filepath.Join(dir, "link"))
	t.Chdir(dir)
	for _, tc := range []struct{ json, split string }{
		{"r.json", filepath.Join(dir, "r.json")},
		{"real/r.json", "link/r.json"},
	} {
		code, _, errOut := runCLI(t, "train", "--csv", data, "--target", "Exited", "--drop", "Surname", "--epochs", "1", "--quiet", "--json", tc.json, "--save-split", tc.split)
		if want := "tailor train: --json " + tc.json + " and --save-split " + tc.split + " are one file"; code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("--json %s --save-split %s: exit %d, %q; want %q", tc.json, tc.split, code, errOut, want)
		}
	}
}

// TestSecondInterruptEndsTheProcess: a second SIGINT ends tailor at once
// when the command does not heed the first (here a --csv that is a pipe
// no one writes to); the second was caught and ignored like the first,
// and only the end of the read let the process exit.
func TestSecondInterruptEndsTheProcess(t *testing.T) {
	if args := os.Getenv("TAILOR_TEST_MAIN"); args != "" { // the child
		os.Args = append([]string{"tailor"}, strings.Split(args, "\n")...)
		main()
		return
	}
	fifo := filepath.Join(t.TempDir(), "rows.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecondInterruptEndsTheProcess$")
	cmd.Env = append(os.Environ(), "TAILOR_TEST_MAIN="+strings.Join([]string{"train", "--csv", fifo, "--target", "y", "--quiet"}, "\n"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // returns once the child reads the pipe: its signals are caught by then
	if err != nil {
		t.Fatal(err)
	}
	var exited error
	ended := false
	for range 100 { // interrupt until it ends, at most 100 times
		cmd.Process.Signal(os.Interrupt)
		select {
		case exited = <-done:
			ended = true
		case <-time.After(20 * time.Millisecond):
		}
		if ended {
			break
		}
	}
	w.Close() // the read ends: a process that ignored the signals goes on
	if !ended {
		exited = <-done
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("interrupted again and again while reading a pipe: %v (%v); want the process ended by SIGINT", cmd.ProcessState, exited)
	}
}

// fullDiskAfter is a context that, at its n-th Err (Fit asks once a
// batch), caps the size of the files this process writes to 64 KiB, as a
// full disk would stop them: a checkpoint written then fails (EFBIG; Go
// ignores SIGXFSZ), the files already written stay whole. The cap holds
// for the whole process, so it runs in a child (fullDiskChild), never in
// the test binary that writes the test's own logs.
type fullDiskAfter struct {
	context.Context
	calls, n int
}

func (c *fullDiskAfter) Err() error {
	if c.calls++; c.calls == c.n {
		var was syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &was); err != nil {
			panic(err)
		}
		small := syscall.Rlimit{Cur: 64 << 10, Max: was.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small); err != nil {
			panic(err)
		}
	}
	return nil
}

// fullDiskChild runs, in a process of its own (this test binary, test
// TestCheckpointWriteFailsMidRun with TAILOR_FULL_DISK_AT=n), a training
// with checkpoints in ck whose disk fills at the n-th Err, and returns its
// exit code and standard error.
func fullDiskChild(t *testing.T, n int, ck string) (int, string) {
	t.Helper()
	result := filepath.Join(t.TempDir(), "result.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointWriteFailsMidRun$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("TAILOR_FULL_DISK_AT=%d", n), "TAILOR_FULL_DISK_CK="+ck, "TAILOR_FULL_DISK_RESULT="+result)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the child run: %v\n%s", err, out)
	}
	b, err := os.ReadFile(result)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Code   int
		Stderr string
		Calls  int
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Calls < n {
		t.Fatalf("disk full at Err call %d: the run asked only %d times", n, r.Calls)
	}
	return r.Code, r.Stderr
}

// A checkpoint that cannot be written (a full disk) ends the run with an
// error that names the file and says what the directory keeps: the last
// checkpoint, whole, from which the run resumes, or none.
func TestCheckpointWriteFailsMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	if at := os.Getenv("TAILOR_FULL_DISK_AT"); at != "" { // the child
		ctx := &fullDiskAfter{Context: context.Background()}
		fmt.Sscan(at, &ctx.n)
		code, _, errOut := runCtx(ctx, "train", "--epochs", "2", "--train-limit", "320", "--quiet", "--checkpoint-dir", os.Getenv("TAILOR_FULL_DISK_CK"), "--checkpoint-every", "1")
		b, _ := json.Marshal(map[string]any{"Code": code, "Stderr": errOut, "Calls": ctx.calls})
		var unlimited syscall.Rlimit // lift the cap to write the result
		syscall.Getrlimit(syscall.RLIMIT_FSIZE, &unlimited)
		unlimited.Cur = unlimited.Max
		syscall.Setrlimit(syscall.RLIMIT_FSIZE, &unlimited)
		if err := os.WriteFile(os.Getenv("TAILOR_FULL_DISK_RESULT"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, tc := range []struct {
		n    int // the Err call at which the disk fills
		want string
	}{
		{6, "; the last checkpoint written to %[1]s is kept: continue with tailor train --resume %[1]s"},
		{1, "; no checkpoint was written to %[1]s: start afresh with tailor train --checkpoint-dir %[1]s --overwrite"},
	} {
		ck := filepath.Join(t.TempDir(), "ck")
		code, errOut := fullDiskChild(t, tc.n, ck)
		want := fmt.Sprintf(tc.want, ck)
		if code != 1 || !strings.Contains(errOut, filepath.Join(ck, saving.CheckpointFile)) || !strings.HasSuffix(strings.TrimSpace(errOut), want) {
			t.Errorf("disk full at Err call %d: exit %d, %q; want exit 1, the checkpoint's name and %q", tc.n, code, errOut, want)
		}
		entries, _ := os.ReadDir(ck)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("disk full at Err call %d: a temporary file is left: %s", tc.n, e.Name())
			}
		}
		if tc.n == 1 {
			continue
		}
		if _, err := saving.LoadCheckpoint(ck); err != nil {
			t.Errorf("the last checkpoint: %v", err)
		}
		if code, _, errOut := runCLI(t, "train", "--resume", ck, "--quiet"); code != 0 {
			t.Errorf("--resume once there is room: exit %d: %s", code, errOut)
		}
	}
}
