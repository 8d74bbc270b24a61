package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// serveLock is an exclusive lock on <data>/aura.lock held while a server
// runs, so two servers never share a data directory and offline commands
// (restore) can tell whether a server is running.
type serveLock struct{ f *os.File }

// errLocked is returned when another process holds the lock.
var errLocked = errors.New("another Aura server is running on this data directory")

// lockDataDir takes the lock without waiting.
func lockDataDir(dataDir string) (*serveLock, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dataDir, "aura.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("lock the data directory: %w", err)
	}
	f.Truncate(0)
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return &serveLock{f: f}, nil
}

func (l *serveLock) release() {
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}

// checkDataDirMode refuses a data directory that group or others may read,
// write or enter: it holds every tenant's file and WAL and Litestream's
// plaintext staging. A directory that does not exist yet is fine; Aura
// creates it 0700.
func checkDataDirMode(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("the data directory %s is not a directory", dir)
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("the data directory %s is open to group or others (mode %04o); run `chmod 700 %s` and start again", dir, m, dir)
	}
	return nil
}
