package protocol

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// The Python half of the protocol must hold the same values as this package: the
// server and the loop read each other's tuples by these numbers.
func TestPythonProtocolMatches(t *testing.T) {
	src, err := os.ReadFile("../python/django_bolt/_runtime/protocol.py")
	if err != nil {
		t.Fatal(err)
	}
	py := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Z_]+) = (-?\d+)\b`).FindAllStringSubmatch(string(src), -1) {
		n, _ := strconv.Atoi(m[2])
		py[m[1]] = n
	}
	want := map[string]int{
		"KIND_PULL": KindPull, "KIND_CLOSE": KindClose, "KIND_STOP": KindStop,
		"KIND_WS_OPEN": KindWSOpen, "KIND_WS_MESSAGE": KindWSMessage, "KIND_WS_CLOSED": KindWSClosed,
		"WS_ACCEPT": WSAccept, "WS_TEXT": WSText, "WS_BYTES": WSBytes, "WS_CLOSE": WSClose,
		"CHUNK": Chunk, "END": End, "FAILED": Failed,
		"REQUEST_ITEM_LEN": RequestItemLen, "CONTROL_ITEM_LEN": ControlItemLen, "RESULT_LEN": ResultLen,
		"SENDFILE_LEN": SendFileLen,
		"RID":          RID, "KIND": Kind, "ARG": Arg, "METHOD": Method, "PATH": Path, "PARAMS": Params,
		"QUERY": Query, "HEADERS": Headers, "BODY": Body, "CONTEXT": Context,
	}
	for name, v := range want {
		got, ok := py[name]
		switch {
		case !ok:
			t.Errorf("protocol.py does not define %s (Go: %d)", name, v)
		case got != v:
			t.Errorf("protocol.py: %s = %d, Go: %d", name, got, v)
		}
	}
	for name, v := range py {
		if _, ok := want[name]; !ok {
			t.Errorf("protocol.py defines %s = %d, which Go does not know: add it to protocol.go and this test", name, v)
		}
	}

	details := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(DETAIL_[A-Z_]+) = "([^"]*)"`).FindAllStringSubmatch(string(src), -1) {
		details[m[1]] = m[2]
	}
	wantDetails := map[string]string{
		"DETAIL_UNAUTHENTICATED": DetailUnauthenticated, "DETAIL_PERMISSION_DENIED": DetailPermissionDenied,
		"DETAIL_METHOD_NOT_ALLOWED": DetailMethodNotAllowed, "DETAIL_INTERNAL": DetailInternal,
		"DETAIL_BODY_TOO_LARGE": DetailBodyTooLarge,
	}
	for name, v := range wantDetails {
		if details[name] != v {
			t.Errorf("protocol.py: %s = %q, Go: %q", name, details[name], v)
		}
	}
	if len(details) != len(wantDetails) {
		t.Errorf("protocol.py defines the details %v; Go knows %v", details, wantDetails)
	}
}

func TestErrorJSON(t *testing.T) {
	for detail, want := range map[string]string{
		"Not Found":   `{"detail":"Not Found"}`,
		"a\"b\\c":     `{"detail":"a\"b\\c"}`,
		"x\ny\tz\x01": `{"detail":"x\ny\tz\u0001"}`,
		"été <&>":     `{"detail":"été <&>"}`,
	} {
		if got := string(ErrorJSON(detail)); got != want {
			t.Errorf("ErrorJSON(%q) = %s, want %s", detail, got, want)
		}
	}
	b := ErrorJSON("x")
	if cap(b) != len(b) {
		t.Error("a shared body must have no spare capacity")
	}
}

func TestRequestLayout(t *testing.T) {
	var r Request
	r.Begin([]byte("GET"), []byte("/a/b"))
	for _, s := range []string{"id", "7", "x-one", "1", "x-two", "22"} {
		start := r.Mark()
		r.Strs = append(r.Strs, s...)
		r.EndString(start)
	}
	r.NParams = 1
	if string(r.Method()) != "GET" || string(r.Path()) != "/a/b" {
		t.Fatalf("method/path = %q %q", r.Method(), r.Path())
	}
	if p := r.Param(0); string(p.Key) != "id" || string(p.Value) != "7" {
		t.Errorf("param 0 = %q=%q", p.Key, p.Value)
	}
	if r.NumHeaders() != 2 {
		t.Fatalf("NumHeaders = %d", r.NumHeaders())
	}
	if h := r.Header(1); string(h.Key) != "x-two" || string(h.Value) != "22" {
		t.Errorf("header 1 = %q=%q", h.Key, h.Value)
	}
	r.Reset()
	if len(r.Strs) != 0 || len(r.Lens) != 0 || r.NParams != 0 {
		t.Errorf("Reset left %+v", r)
	}
}
