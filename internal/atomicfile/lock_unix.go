//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package atomicfile

import (
	"os"
	"syscall"
)

// renameOpen: the temporary file is renamed while still open, so that its
// lock is held until it has its final name.
const renameOpen = true

// hold takes an exclusive advisory lock on the temporary file for as long
// as it is being written: a lock the kernel drops when the process dies,
// which is how removeIfStale tells a killed write's file from one being
// written. Between creating the file and locking it another writer's
// clean-up may have found it unlocked and removed it; hold waits for that
// writer's lock and reports whether the file still has its name.
func hold(f *os.File) bool {
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX) != nil {
		return true // no locks here: nothing to race with
	}
	st, err := f.Stat()
	if err != nil {
		return false
	}
	named, err := os.Lstat(f.Name())
	return err == nil && os.SameFile(st, named)
}

// removeIfStale removes the temporary file at p if no process holds it:
// its lock can be taken at once. The lock is held until the file is gone,
// so that a writer that has just created it (see hold) sees it removed.
func removeIfStale(p string) {
	f, err := os.Open(p)
	if err != nil {
		return
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		os.Remove(p)
	}
}

// LockDir takes an exclusive advisory lock on the directory dir for a
// process that is to be its only writer (a training run and its
// checkpoint), or fails at once with ErrLocked when another process (or
// another LockDir in this one) holds it. unlock releases it, as the
// process's end does.
func LockDir(dir string) (unlock func(), err error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	switch err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); {
	case err == syscall.EWOULDBLOCK:
		d.Close()
		return nil, ErrLocked
	case err != nil: // no locks here: nothing to exclude
	}
	return func() { d.Close() }, nil
}
