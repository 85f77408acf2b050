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
// which is how stale tells a killed write's file from one being written.
func hold(f *os.File) {
	syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// stale reports whether no process holds the temporary file at p: its lock
// can be taken at once.
func stale(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
