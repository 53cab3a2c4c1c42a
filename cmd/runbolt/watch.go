package main

import (
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// debounce groups the bursts of events one save produces (editors write, rename, chmod).
const debounce = 300 * time.Millisecond

// skipDir reports directories that never hold project code.
func skipDir(name string) bool {
	return name != "." && (strings.HasPrefix(name, ".") || name == "__pycache__" || name == "node_modules" ||
		name == "venv" || name == "env")
}

// reloads reports whether a change to path should reload the project.
func reloads(path string) bool {
	switch filepath.Ext(path) {
	case ".py", ".html", ".txt", ".json", ".toml", ".yaml", ".yml", ".env":
		return true
	}
	return false
}

// watchTree watches root recursively and sends one path per debounced burst of
// changes to files that matter.
func watchTree(root string, logger *log.Logger) (<-chan string, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	add := func(dir string) {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if skipDir(d.Name()) {
				return filepath.SkipDir
			}
			if err := w.Add(p); err != nil {
				logger.Printf("--dev: cannot watch %s: %v", p, err)
			}
			return nil
		})
	}
	add(root)
	out := make(chan string, 1)
	go func() {
		var timer *time.Timer
		var last string
		fire := make(chan struct{}, 1)
		for {
			select {
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Has(fsnotify.Create) {
					if info, err := os.Stat(ev.Name); err == nil && info.IsDir() && !skipDir(info.Name()) {
						add(ev.Name)
					}
				}
				if !reloads(ev.Name) {
					continue
				}
				last = ev.Name
				if timer == nil {
					timer = time.AfterFunc(debounce, func() { fire <- struct{}{} })
				} else {
					timer.Reset(debounce)
				}
			case <-fire:
				timer = nil
				select {
				case out <- last:
				default: // a reload is already pending
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				logger.Printf("--dev: watcher: %v", err)
			}
		}
	}()
	return out, nil
}
