//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package atomicfile

import (
	"os"
	"time"
)

// renameOpen: some systems (Windows) cannot rename an open file.
const renameOpen = false

// staleAge is how old a temporary file must be to count as left behind
// where there are no advisory locks to ask.
const staleAge = time.Hour

func hold(*os.File) bool { return true }

// removeIfStale removes the temporary file at p if it was last written
// more than staleAge ago.
func removeIfStale(p string) {
	if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) > staleAge {
		os.Remove(p)
	}
}

// LockDir locks nothing where there are no advisory locks: it checks that
// dir exists.
func LockDir(dir string) (unlock func(), err error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	return func() {}, nil
}
