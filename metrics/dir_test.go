package metrics

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCreateDirRemovesOnlyAbandonedDirectories(t *testing.T) {
	parent := t.TempDir()
	live, err := CreateDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Remove()
	abandoned, err := CreateDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	abandoned.owner.Close() // its process died: the lock is gone, the directory stays
	starting := filepath.Join(parent, dirPrefix+"starting")
	if err := os.Mkdir(starting, 0o700); err != nil { // no owner file yet
		t.Fatal(err)
	}
	unrelated := filepath.Join(parent, "other")
	if err := os.Mkdir(unrelated, 0o700); err != nil {
		t.Fatal(err)
	}

	next, err := CreateDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Remove()
	for _, kept := range []string{live.Path, starting, unrelated, next.Path} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("%s was removed: %v", kept, err)
		}
	}
	if _, err := os.Stat(abandoned.Path); !os.IsNotExist(err) {
		t.Errorf("the abandoned directory %s is still there (%v)", abandoned.Path, err)
	}
}

func TestRemoveDeletesTheDirectory(t *testing.T) {
	d, err := CreateDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path); !os.IsNotExist(err) {
		t.Fatalf("%s still exists (%v)", d.Path, err)
	}
}
