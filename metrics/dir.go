package metrics

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// dirPrefix names the metrics directories under the temporary directory, so that a
// new server can find the ones a killed server left behind.
const dirPrefix = "bolt-metrics-"

// ownerFile is held with an flock by the process that owns the directory, for as long
// as it lives: a directory whose owner lock can be taken belongs to nobody.
const ownerFile = "owner"

// Dir is a metrics directory owned by this process (the supervisor).
type Dir struct {
	Path  string
	owner *os.File
}

// CreateDir makes a new metrics directory under parent ("" for the system's temporary
// directory) and takes its owner lock. Directories under parent whose owner died
// without removing them (a supervisor killed with SIGKILL) are removed first.
func CreateDir(parent string) (*Dir, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	sweepAbandoned(parent)
	path, err := os.MkdirTemp(parent, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	owner, err := lockOwner(path)
	if err != nil {
		os.RemoveAll(path)
		return nil, err
	}
	return &Dir{Path: path, owner: owner}, nil
}

// Remove deletes the directory and releases its owner lock.
func (d *Dir) Remove() error {
	err := os.RemoveAll(d.Path)
	d.owner.Close()
	return err
}

// lockOwner creates the owner file already locked: it is locked under a temporary
// name and renamed into place, so a sweeping server never sees it unlocked.
func lockOwner(dir string) (*os.File, error) {
	tmp := filepath.Join(dir, ownerFile+".new")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("metrics: lock %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, ownerFile)); err != nil {
		f.Close()
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return f, nil
}

// sweepAbandoned removes the metrics directories under parent whose owner lock is
// free. A directory without an owner file is being created (or predates owner
// files) and is left alone; errors are ignored, as a leftover is only wasted space.
func sweepAbandoned(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), dirPrefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		f, err := os.OpenFile(filepath.Join(dir, ownerFile), os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			os.RemoveAll(dir)
		}
		f.Close()
	}
}
