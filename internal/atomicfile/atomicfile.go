// Package atomicfile replaces files so that a reader, or a run interrupted
// half-way, sees either the old file or the whole new one, never a part.
//
// Write goes through symbolic links to the file they name, replaces only
// regular files (never a device, a pipe or a directory), and removes the
// temporary files that writes killed half-way (SIGKILL, a crash) left
// behind for the same path.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// ErrLocked reports a directory that another writer holds (see LockDir).
var ErrLocked = errors.New("in use by another process")

// maxLinks bounds the symbolic links Write follows, as the kernel's
// ELOOP does.
const maxLinks = 40

// tempInfix makes Write's temporary file names: the target
// ".model.tailor" is written as ".model.tailor.tmp-123456789" beside it.
// Only names of exactly that form are ever cleaned up. A target whose
// name leaves no room for that within nameMax has a shortened one (see
// tempPrefix).
const tempInfix = ".tmp-"

// nameMax is the longest file name, in bytes, that the file systems Tailor
// runs on take (NAME_MAX on Linux and the BSDs, macOS's 255).
const nameMax = 255

// tempDigits is the most digits os.CreateTemp puts in for its "*": a
// uint32 in decimal.
const tempDigits = 10

// tempPrefix returns the start of the temporary files' names for the
// target base: "." + base + ".tmp-", or, where that and the digits would
// be longer than a file name may be, the start of base cut to fit and a
// hash of the whole of it, "." + base[:k] + "~" + 8 hex digits + ".tmp-",
// so that a target of any name the file system takes can be written, and
// its temporaries are told from those of other names that begin alike.
func tempPrefix(base string) string {
	p := "." + base + tempInfix
	if len(p)+tempDigits <= nameMax {
		return p
	}
	h := fnv.New32a()
	h.Write([]byte(base))
	tail := fmt.Sprintf("~%08x%s", h.Sum32(), tempInfix)
	k := nameMax - tempDigits - len(tail) - 1
	for k > 0 && !utf8.RuneStart(base[k]) {
		k-- // keep the name valid UTF-8 where base is
	}
	return "." + base[:k] + tail
}

// Write creates or replaces the file at path with what write produces: it
// writes a temporary file in the same directory as the target, syncs it,
// and renames it over the target. When path is a symbolic link, the target
// is the file it points to (the link stays). A target that exists must be
// a regular file; its permission bits are kept, and a new file gets 0644.
// On any error the temporary file is removed and the target is left as it
// was.
//
// Before writing, Write removes the temporary files of earlier writes to
// the same target that no running process is writing: a write killed
// half-way leaves nothing behind once the next one starts.
func Write(path string, write func(io.Writer) error) (err error) {
	target, st, err := resolve(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	perm := fs.FileMode(0o644)
	if st != nil {
		perm = st.Mode().Perm()
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	f, err := CreateTemp(dir, base)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}()
	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	// The target may have been replaced by something else while we wrote.
	if st, err := os.Lstat(target); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%s became %s while it was written: refusing to replace it", target, kind(st.Mode()))
	}
	if err = rename(f, target); err != nil {
		return err
	}
	// Make the rename itself durable where the system can sync a directory.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// CreateTemp creates a temporary file in dir for a file to be named base
// there, named as Write names its own, after removing those of earlier
// writes to base that no running process holds (see Write). For callers
// that write and rename a file themselves (a download whose name depends
// on its contents): while the file is open no other process removes it,
// and once this process dies the next CreateTemp or Write for base does.
func CreateTemp(dir, base string) (*os.File, error) {
	removeStale(dir, base)
	for {
		f, err := os.CreateTemp(dir, tempPrefix(base)+"*")
		if err != nil {
			return nil, err
		}
		if hold(f) {
			return f, nil
		}
		// A concurrent writer's clean-up took it before it was held.
		f.Close()
	}
}

// Rename renames f, a file CreateTemp made, to path and closes it, in the
// order that keeps other writers' clean-up off it: where the lock is held
// while the file is open, the file is renamed before it is closed (closed
// first, a concurrent CreateTemp for the same base would take it as left
// behind and remove it). The caller syncs f first. f is closed, and on an
// error left at its temporary name, for the caller to remove.
func Rename(f *os.File, path string) error {
	return rename(f, path)
}

func rename(f *os.File, path string) error {
	if !renameOpen {
		if err := f.Close(); err != nil {
			return err
		}
		return os.Rename(f.Name(), path)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		f.Close()
		return err
	}
	// Closing releases the lock that tells other writers the temporary
	// file is in use; the rename is done by now.
	return f.Close()
}

// Check reports, without writing anything at path, whether Write could
// write it: the symbolic links resolve, the target is a regular file or
// does not exist, and its directory exists and accepts a new file (Check
// creates and removes a temporary one there). Commands call it before long
// work whose result goes to path. It also refuses a path that is, by
// another name or through symbolic links, one of inputs: the files the
// command reads, which the write would replace.
func Check(path string, inputs ...string) error {
	target, st, err := resolve(path)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if st != nil {
		for _, in := range inputs {
			if ist, err := os.Stat(in); err == nil && os.SameFile(st, ist) {
				return fmt.Errorf("cannot write %s: it is %s, which this command reads", path, in)
			}
		}
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, tempPrefix(base)+"*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// resolve follows symbolic links from path to the file Write replaces. It
// returns that file's path and, if it exists, its FileInfo; a target that
// exists but is not a regular file is an error.
func resolve(path string) (string, fs.FileInfo, error) {
	p, err := follow(path)
	if err != nil {
		return "", nil, err
	}
	st, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		if dst, derr := os.Stat(filepath.Dir(p)); derr != nil {
			return "", nil, fmt.Errorf("directory %s: %w", filepath.Dir(p), derr)
		} else if !dst.IsDir() {
			return "", nil, fmt.Errorf("%s is not a directory", filepath.Dir(p))
		}
		return p, nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	if m := st.Mode(); !m.IsRegular() {
		where := p
		if p != path {
			where = fmt.Sprintf("%s (the target of %s)", p, path)
		}
		return "", nil, fmt.Errorf("%s is %s, not a regular file: refusing to replace it", where, kind(m))
	}
	return p, st, nil
}

// Target returns the path of the file Write(path) would replace: path
// with its symbolic links followed as Write follows them, whether or not
// they lead to a file that exists; path itself when they cannot be
// followed. Two paths with one Target name one file.
func Target(path string) string {
	if p, err := follow(path); err == nil {
		return p
	}
	return path
}

// follow follows symbolic links from path, at most maxLinks of them, to
// a path that is not one (or does not exist).
func follow(path string) (string, error) {
	p := path
	for range maxLinks {
		st, err := os.Lstat(p)
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			// Relative to the link's directory as the kernel resolves
			// it: not cleaned, for "dirlink/../x" is not "x" when
			// dirlink is itself a link.
			link = filepath.Dir(p) + string(filepath.Separator) + link
		}
		p = link
	}
	return "", fmt.Errorf("more than %d symbolic links", maxLinks)
}

// kind names a file mode for messages.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file"
}

// isTemp reports whether name (a base name) is one of Write's temporary
// files for the target base: tempPrefix(base) + digits.
func isTemp(name, base string) bool {
	rest, ok := strings.CutPrefix(name, tempPrefix(base))
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// removeStale removes the temporary files for base in dir that no process
// is writing (see removeIfStale). Errors are ignored: cleaning up is a courtesy, and
// the write itself reports what matters.
func removeStale(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTemp(e.Name(), base) {
			continue
		}
		removeIfStale(filepath.Join(dir, e.Name()))
	}
}

// Remove removes the file at path (a symbolic link itself, not its
// target) and the temporary files that killed writes to it left behind.
// A path that does not exist is not an error.
func Remove(path string) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	err := os.Remove(path)
	removeStale(dir, base)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
