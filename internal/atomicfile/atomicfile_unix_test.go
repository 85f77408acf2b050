//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func writeString(path, s string) error {
	return Write(path, func(w io.Writer) error { _, err := io.WriteString(w, s); return err })
}

func TestWriteThroughSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "data", "model.tailor")
	if err := os.Mkdir(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	rel := filepath.Join(dir, "rel")  // data/model.tailor, relative
	abs := filepath.Join(dir, "abs")  // the absolute path
	hop := filepath.Join(dir, "hop")  // rel, a link to a link
	dang := filepath.Join(dir, "new") // a link to a file not yet there
	for link, to := range map[string]string{rel: "data/model.tailor", abs: real, hop: "rel", dang: "data/fresh.tailor"} {
		if err := os.Symlink(to, link); err != nil {
			t.Fatal(err)
		}
	}
	for _, link := range []string{rel, abs, hop} {
		if err := writeString(link, "via "+link); err != nil {
			t.Fatalf("write through %s: %v", link, err)
		}
		if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("%s is no longer a symbolic link: %v, %v", link, st.Mode(), err)
		}
		if got, _ := os.ReadFile(real); string(got) != "via "+link {
			t.Fatalf("the target holds %q after writing through %s", got, link)
		}
		if st, _ := os.Stat(real); st.Mode().Perm() != 0o600 {
			t.Errorf("the target's permissions became %v, want them kept (0600)", st.Mode().Perm())
		}
	}
	if err := writeString(dang, "fresh"); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "data", "fresh.tailor")); err != nil || string(got) != "fresh" {
		t.Fatalf("write through a dangling link: %q, %v", got, err)
	}
	loop := filepath.Join(dir, "loop")
	os.Symlink("loop", loop)
	if err := writeString(loop, "x"); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Errorf("a link to itself: %v", err)
	}
	// No temporary file is left in either directory.
	for _, d := range []string{dir, filepath.Dir(real)} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("%s left in %s", e.Name(), d)
			}
		}
	}
}

func TestWriteRefusesNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	toFifo := filepath.Join(dir, "to-fifo")
	os.Symlink("fifo", toFifo)
	for path, want := range map[string]string{
		fifo:                          "is a named pipe, not a regular file",
		sub:                           "is a directory, not a regular file",
		toFifo:                        "(the target of " + toFifo + ") is a named pipe",
		filepath.Join(dir, "no", "f"): "no such file or directory",
		filepath.Join(fifo, "under"):  "not a directory",
	} {
		for name, f := range map[string]func(string) error{"Write": func(p string) error { return writeString(p, "x") }, "Check": func(p string) error { return Check(p) }} {
			err := f(path)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
				t.Errorf("%s(%s): %v, want an error naming the path and %q", name, path, err, want)
			}
		}
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe was replaced: %v %v", st.Mode(), err)
	}
	if st, err := os.Lstat(toFifo); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link to the pipe was replaced: %v %v", st.Mode(), err)
	}
	if err := Check(filepath.Join(dir, "ok")); err != nil {
		t.Errorf("Check of a new file in a writable directory: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("Check left files behind: %v", entries)
	}
}

// Check refuses to replace a command's input by any of its names: the
// same path, another spelling of it, a symbolic or a hard link.
func TestCheckRefusesInputs(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.tailor")
	other := filepath.Join(dir, "rows.csv")
	for _, p := range []string{model, other} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sym, hard := filepath.Join(dir, "out.json"), filepath.Join(dir, "hard.json")
	if err := os.Symlink("model.tailor", sym); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(model, hard); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{model, filepath.Join(dir, ".", "model.tailor"), sym, hard} {
		err := Check(out, other, model)
		if err == nil || !strings.Contains(err.Error(), "cannot write "+out+": it is "+model+", which this command reads") {
			t.Errorf("Check(%s, inputs %s and %s): %v; want it refused, naming both", out, other, model, err)
		}
	}
	for _, out := range []string{filepath.Join(dir, "new.json"), other} {
		if err := Check(out, model, filepath.Join(dir, "missing")); err != nil {
			t.Errorf("Check(%s) with other inputs: %v", out, err)
		}
	}
}

// A write killed half-way (SIGKILL during a checkpoint) leaves its
// temporary file; the next write to the same path removes it, but not the
// temporary file of a write still under way, nor files of other names.
func TestWriteRemovesStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "checkpoint.tailor")
	stale := []string{".checkpoint.tailor.tmp-1234567", ".checkpoint.tailor.tmp-42"}
	keep := []string{".checkpoint.tailor.tmp-", ".checkpoint.tailor.tmp-12x", ".other.tailor.tmp-99", "checkpoint.tailor.tmp-7", ".checkpoint.tailor.tmp-777"}
	for _, n := range append(stale, keep...) {
		if err := os.WriteFile(filepath.Join(dir, n), make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The last of keep is being written by a live writer, who holds it.
	busy, err := os.Open(filepath.Join(dir, keep[len(keep)-1]))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if err := syscall.Flock(int(busy.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if err := writeString(path, "epoch 2"); err != nil {
		t.Fatal(err)
	}
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale %s survived the next write: %v", n, err)
		}
	}
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was removed: %v", n, err)
		}
	}
	// Remove takes the file and what killed writes left, not the live one.
	os.WriteFile(filepath.Join(dir, stale[0]), nil, 0o644)
	if err := Remove(path); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"checkpoint.tailor", stale[0]} {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Remove left %s: %v", n, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, keep[len(keep)-1])); err != nil {
		t.Errorf("Remove took a live write's file: %v", err)
	}
	if err := Remove(path); err != nil {
		t.Errorf("Remove of a missing file: %v", err)
	}
}

// Writers of one path at the same time (goroutines saving the same
// checkpoint) all succeed, the file ends as one whole write, and no
// temporary file is left: a writer's clean-up once removed another's
// temporary file between its creation and its lock, and that write then
// failed at the rename.
func TestConcurrentWritersOfOnePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.tailor")
	const writers, writes = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, writers*writes)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writes {
				if err := writeString(path, fmt.Sprintf("writer %d, write %d", g, i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 3 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Errorf("%d of %d writes failed", n, writers*writes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g, i int
	if k, err := fmt.Sscanf(string(b), "writer %d, write %d", &g, &i); k != 2 || err != nil || i != writes-1 {
		t.Errorf("the file holds %q, want some writer's last write", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the directory, want only the target", len(ents))
	}
}

// A relative link's ".." is resolved by the kernel from the directory the
// link really is in, not lexically: through dirlink -> x/y/z, the link
// model -> ../other names x/y/other, and Write replaced a new ./other in
// the working directory instead.
func TestWriteThroughRelativeLinkInLinkedDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "x", "y", "z"), 0o755); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "x", "y", "other")
	if err := os.WriteFile(other, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "x", "y", "z"), filepath.Join(dir, "dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../other", filepath.Join(dir, "x", "y", "z", "model")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if err := writeString(filepath.Join("dirlink", "model"), "new"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(other); err != nil || string(b) != "new" {
		t.Errorf("x/y/other holds %q, %v; want the new content", b, err)
	}
	if st, err := os.Stat(other); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("x/y/other: %v, %v; want its mode 0600 kept", st.Mode(), err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "other")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Write created %s: %v", filepath.Join(dir, "other"), err)
	}
}

// A name the file system accepts (up to NAME_MAX, 255 bytes) is written,
// checked and cleaned up like any other, though ".NAME.tmp-DIGITS" would
// be too long: the temporary name is shortened, and still Write's own.
func TestWriteLongNames(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{238, 239, 240, 250, 255} {
		for _, c := range []string{"a", "é"} {
			base := strings.Repeat(c, n/len(c))
			base += strings.Repeat("b", n-len(base))
			path := filepath.Join(dir, base)
			if err := os.WriteFile(path, []byte("probe"), 0o644); err != nil {
				t.Skipf("the file system takes no %d-byte name: %v", n, err)
			}
			os.Remove(path)
			if err := Check(path); err != nil {
				t.Errorf("Check(%d-byte name): %v", n, err)
			}
			for _, s := range []string{"one", "two"} {
				if err := writeString(path, s); err != nil {
					t.Fatalf("Write(%d-byte name): %v", n, err)
				}
			}
			if got, err := os.ReadFile(path); err != nil || string(got) != "two" {
				t.Fatalf("%d-byte name: read %q, %v; want \"two\"", n, got, err)
			}
			// A killed write's temporary file is Write's own, and the next
			// write removes it.
			f, err := CreateTemp(dir, base)
			if err != nil {
				t.Fatalf("CreateTemp(%d-byte name): %v", n, err)
			}
			f.Close() // the lock goes, as when the process dies
			if err := writeString(path, "three"); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(f.Name()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%d-byte name: the left-behind %s survived the next write (%v)", n, filepath.Base(f.Name()), err)
			}
			if err := Remove(path); err != nil {
				t.Fatal(err)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestTarget: Target follows links as Write does, to a file that need not
// exist, and gives a path without links back unchanged.
func TestTarget(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(dir, "dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("dirlink/new.json", filepath.Join(dir, "filelink")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "plain"), filepath.Join(dir, "plain")},
		{filepath.Join(dir, "filelink"), filepath.Join(dir, "dirlink/new.json")},
	} {
		if got := Target(tc.path); got != tc.want {
			t.Errorf("Target(%s) = %s, want %s", tc.path, got, tc.want)
		}
	}
	// The target the write replaces is the same file whichever way it is named.
	if err := writeString(filepath.Join(dir, "filelink"), "x"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(real, "new.json")); err != nil || string(b) != "x" {
		t.Errorf("written through the links: %q, %v", b, err)
	}
}

// LockDir lets one writer at a time hold a directory, until it unlocks.
func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	unlock, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("a second LockDir while held: %v, want ErrLocked", err)
	}
	unlock()
	again, err := LockDir(dir)
	if err != nil {
		t.Fatalf("LockDir after unlock: %v", err)
	}
	again()
	if _, err := LockDir(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LockDir of a missing directory: %v, want ErrNotExist", err)
	}
}
