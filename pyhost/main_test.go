package pyhost

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// The interpreter is initialised once, on the process's main thread, which stays
// locked to the main goroutine. Tests run on other goroutines, so everything that
// touches Python is shipped to the main goroutine through mainJobs.

func init() { runtime.LockOSThread() }

var (
	mainJobs = make(chan func())
	// pythonExe is the interpreter whose virtualenv the embedded Python uses.
	pythonExe string
	// exchangeBeforeLoop is what django_bolt._core.exchange said before any Loop existed.
	exchangeBeforeLoop string
)

func TestMain(m *testing.M) {
	pythonExe = os.Getenv("BOLT_PYTHON")
	if pythonExe == "" {
		exe, err := filepath.Abs(filepath.Join("..", ".venv", "bin", "python"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pythonExe = exe
	}
	if err := Initialize(pythonExe, "pyhost.test"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testdata, err := filepath.Abs("testdata")
	if err == nil {
		_, err = Call("site", "addsitedir", testdata)
	}
	if err == nil {
		var out any
		out, err = Call("pyhost_probes", "exchange_without_server")
		exchangeBeforeLoop, _ = out.(string)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "preparing the interpreter:", err)
		os.Exit(1)
	}

	code := make(chan int)
	go func() { code <- m.Run() }()
	for {
		select {
		case job := <-mainJobs:
			job()
		case c := <-code:
			os.Exit(c)
		}
	}
}

// onMain runs f on the interpreter's thread and waits for it. f must not call
// t.Fatal or t.FailNow (that would end the main goroutine); a panic in f is
// reported as a test failure.
func onMain(t *testing.T, timeout time.Duration, f func()) {
	t.Helper()
	done := make(chan any, 1)
	mainJobs <- func() {
		defer func() { done <- recover() }()
		f()
	}
	select {
	case p := <-done:
		if p != nil {
			t.Fatalf("panic on the main thread: %v", p)
		}
	case <-time.After(timeout):
		t.Fatalf("the main-thread job did not finish within %v", timeout)
	}
}

// pyCall is Call on the main thread.
func pyCall(t *testing.T, module, fn string, args ...any) (any, error) {
	t.Helper()
	var out any
	var err error
	onMain(t, 30*time.Second, func() { out, err = Call(module, fn, args...) })
	return out, err
}
