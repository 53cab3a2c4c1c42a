package pyhost

import (
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCompiledVersionMatchesInterpreter(t *testing.T) {
	out, err := exec.Command(pythonExe, "-c", `import sys; print("%d.%d" % sys.version_info[:2])`).Output()
	if err != nil {
		t.Fatalf("running %s: %v", pythonExe, err)
	}
	want := strings.TrimSpace(string(out))
	if got := CompiledVersion(); got != want {
		t.Errorf("CompiledVersion() = %q, %s is %q", got, pythonExe, want)
	}
	info, err := pyCall(t, "pyhost_probes", "interpreter")
	if err != nil {
		t.Fatal(err)
	}
	if v := info.(map[string]any)["version"]; v != want {
		t.Errorf("the embedded interpreter runs %v, want %s", v, want)
	}
}

func TestVirtualenvInEffect(t *testing.T) {
	out, err := exec.Command(pythonExe, "-c", `import sys; print(sys.prefix); print(sys.base_prefix)`).Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	wantPrefix, wantBase := lines[0], lines[1]

	v, err := pyCall(t, "pyhost_probes", "interpreter")
	if err != nil {
		t.Fatal(err)
	}
	info := v.(map[string]any)
	if info["prefix"] != wantPrefix || info["base_prefix"] != wantBase {
		t.Errorf("sys.prefix %v, base_prefix %v; want %s, %s", info["prefix"], info["base_prefix"], wantPrefix, wantBase)
	}
	if wantPrefix == wantBase {
		t.Logf("%s is not a virtualenv; only checking that the prefixes agree", pythonExe)
	} else if exeDir := filepath.Dir(filepath.Dir(pythonExe)); info["prefix"] != exeDir {
		t.Errorf("sys.prefix %v, want the virtualenv %s", info["prefix"], exeDir)
	}
	if info["core_is_builtin"] != true {
		t.Error("django_bolt._core is not the built-in module registered by Initialize")
	}
	// The virtualenv's site-packages are importable.
	if _, err := pyCall(t, "pyhost_probes", "importable", "django", "msgspec", "django_bolt._runtime.loop"); err != nil {
		t.Errorf("virtualenv packages not importable: %v", err)
	}
}

func TestCallArguments(t *testing.T) {
	// Go values become these Python types...
	args := []any{
		"text", []byte{0, 1}, 7, int64(-8), 1.5, true, false, nil,
		json.Number("12"), json.Number("1.25"),
		[]string{"a", "b"},
		[]any{1, "x", []any{nil}},
		map[string]any{"k": []any{true}, "n": map[string]any{}},
	}
	want := []any{
		"str", "bytes", "int", "int", "float", "bool", "bool", "NoneType",
		"int", "float",
		[]any{"str", "str"},
		[]any{"int", "str", []any{"NoneType"}},
		map[string]any{"k": []any{"bool"}, "n": map[string]any{}},
	}
	got, err := pyCall(t, "pyhost_probes", "type_names", args...)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Python types\n got %#v\nwant %#v", got, want)
	}

	// ...and come back as the Go types fromPython documents.
	back := []struct {
		in   any
		want any
	}{
		{"héllo wörld", "héllo wörld"},
		{"", ""},
		{[]byte("\x00\xff"), []byte("\x00\xff")},
		{7, int64(7)},
		{int64(-1 << 62), int64(-1 << 62)},
		{0.5, 0.5},
		{true, true},
		{false, false},
		{nil, nil},
		{json.Number("9007199254740993"), int64(9007199254740993)}, // exact, not via float64
		{[]string{"x"}, []any{"x"}},
		{map[string]any{"a": []any{1, map[string]any{"b": nil}}}, map[string]any{"a": []any{int64(1), map[string]any{"b": nil}}}},
	}
	for _, tc := range back {
		got, err := pyCall(t, "pyhost_probes", "identity", tc.in)
		if err != nil {
			t.Errorf("identity(%#v): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("identity(%#v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestCallUnsupportedArgument(t *testing.T) {
	for _, arg := range []any{int32(1), map[string]string{"a": "b"}, []int{1}, struct{}{}, []any{uint8(1)}, map[string]any{"x": float32(1)}} {
		_, err := pyCall(t, "pyhost_probes", "identity", arg)
		if err == nil || !strings.Contains(err.Error(), "cannot convert") {
			t.Errorf("%T: error %v, want a conversion error", arg, err)
		}
	}
	if _, err := pyCall(t, "pyhost_probes", "identity", json.Number("twelve")); err == nil {
		t.Error("a malformed json.Number was accepted")
	}
	// The interpreter is still usable afterwards.
	if got, err := pyCall(t, "pyhost_probes", "identity", "still fine"); err != nil || got != "still fine" {
		t.Errorf("after failed conversions: %v, %v", got, err)
	}
}

func TestCallReturnValues(t *testing.T) {
	tests := []struct {
		name string
		want any
		err  string // substring of the error; "" means success
	}{
		{"str", "héllo", ""},
		{"bytes", []byte("\x00\xffraw"), ""},
		{"int", int64(-(1 << 62)), ""},
		{"float", 2.5, ""},
		{"true", true, ""},
		{"false", false, ""},
		{"none", nil, ""},
		{"tuple", []any{int64(1), "a"}, ""},
		{"list", []any{int64(1), []any{int64(2), []any{int64(3)}}}, ""},
		{"dict", map[string]any{"a": map[string]any{"b": []any{nil, true, 1.5, []byte("x")}}}, ""},
		{"empty", []any{[]any{}, map[string]any{}, "", []byte{}}, ""},
		{"big int", nil, "OverflowError"},
		{"set", nil, "cannot convert a set"},
		{"object", nil, "cannot convert a _Opaque"},
		{"int key", nil, "is not a str"},
		{"nested set", nil, "cannot convert a frozenset"},
	}
	for _, tc := range tests {
		got, err := pyCall(t, "pyhost_probes", "value", tc.name)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %#v, error %v; want an error containing %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s = %#v, want %#v", tc.name, got, tc.want)
		}
	}
}

func TestCallReturnUnencodableString(t *testing.T) {
	got, err := pyCall(t, "pyhost_probes", "value", "lone surrogate")
	if err == nil {
		t.Errorf("got %#v with no error; the text was silently lost", got)
	}
}

func TestCallErrors(t *testing.T) {
	_, err := pyCall(t, "pyhost_probes", "fail", "boom with detail")
	var pyErr *Error
	if !errors.As(err, &pyErr) {
		t.Fatalf("error %T %v, want *Error", err, err)
	}
	for _, want := range []string{
		"Traceback (most recent call last)",
		"pyhost_probes.py",
		"in _deeper",
		"ValueError: boom with detail",
	} {
		if !strings.Contains(pyErr.Traceback, want) {
			t.Errorf("traceback lacks %q:\n%s", want, pyErr.Traceback)
		}
	}
	if err.Error() != pyErr.Traceback {
		t.Error("Error() is not the traceback")
	}

	for _, tc := range []struct{ module, fn, want string }{
		{"no_such_module_for_pyhost", "f", "ModuleNotFoundError"},
		{"pyhost_probes", "no_such_function", "AttributeError"},
		{"pyhost_probes", "identity", "TypeError"}, // called without its argument
	} {
		_, err := pyCall(t, tc.module, tc.fn)
		if !errors.As(err, &pyErr) || !strings.Contains(pyErr.Traceback, tc.want) {
			t.Errorf("%s.%s: %v, want *Error with %s", tc.module, tc.fn, err, tc.want)
		}
	}
	// Errors are cleared: the next call succeeds.
	if got, err := pyCall(t, "pyhost_probes", "identity", 1); err != nil || got != int64(1) {
		t.Errorf("after errors: %v, %v", got, err)
	}
}

func TestExchangeWithoutLoop(t *testing.T) {
	if !strings.Contains(exchangeBeforeLoop, "no server is running") {
		t.Errorf("exchange() before NewLoop: %q, want a RuntimeError saying no server is running", exchangeBeforeLoop)
	}
}
