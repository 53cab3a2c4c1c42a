package server

import (
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// The in-process test client answers a body over BOLT_MAX_UPLOAD_SIZE as a connection
// does: 413 with the same body, before any handler runs.
func TestTestHandlerRefusesBodiesOverTheLimit(t *testing.T) {
	table := newTable(RouteSpec{Method: "POST", Path: "/upload", HandlerID: 0, Needs: []string{"body"}})
	table.Settings.MaxUploadSize = 100
	doc, err := msgpack.Marshal(table)
	if err != nil {
		t.Fatal(err)
	}
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "stored")})
	h, err := NewTestHandler(doc, py, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		size   int
		status int
		body   string
	}{
		{100, 200, "stored"},
		{101, 413, `{"detail":"Request body too large (max 100 bytes)"}`},
	} {
		ctx := newCtxBody("POST", "/upload", []byte(strings.Repeat("x", tc.size)))
		h(ctx)
		r := send(t, ctx)
		if r.status != tc.status || r.body != tc.body {
			t.Errorf("%d bytes: %d %q, want %d %q", tc.size, r.status, r.body, tc.status, tc.body)
		}
	}
	if n := py.doCount(); n != 1 {
		t.Errorf("Python called %d times, want 1", n)
	}
}
