package server

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// scanAll feeds a connection's guard the reads in order and returns the read holding
// a bare LF and its index there, or -1, -1.
func scanAll(reads ...string) (int, int) {
	var g headGuard
	g.start()
	for i, r := range reads {
		if at := g.scan([]byte(r)); at >= 0 {
			return i, at
		}
	}
	return -1, -1
}

func TestHeadGuardFindsBareLFInHeadsOnly(t *testing.T) {
	const ok = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	const bare = "GET / HTTP/1.1\r\nHost: x\n\n"
	cases := []struct {
		name        string
		reads       []string
		read, index int
	}{
		{"crlf head", []string{ok}, -1, -1},
		{"crlf head then a body of line feeds", []string{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n\n\n\n"}, -1, -1},
		{"body in a later read", []string{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n", "a\n\nb"}, -1, -1},
		{"crlf split between reads", []string{"GET / HTTP/1.1\r", "\nHost: x\r", "\n\r", "\n"}, -1, -1},
		{"bare lf request line", []string{"GET / HTTP/1.1\nHost: x\r\n\r\n"}, 0, 14},
		{"bare lf header", []string{"GET / HTTP/1.1\r\n", "Host: x\n\n"}, 1, 7},
		{"bare lf blank line", []string{"GET / HTTP/1.1\r\nHost: x\r\n\n"}, 0, 25},
		{"pipelined crlf heads", []string{ok + ok + ok}, -1, -1},
		{"bare lf head pipelined behind a get", []string{ok + bare}, 0, len(ok) + 23},
		{"bare lf head pipelined in the next read", []string{ok, bare}, 1, 23},
		{"bare lf head behind a body", []string{"POST / HTTP/1.1\r\nHost: x\r\ncontent-length:  5 \r\n\r\na\n\nb\n" + bare}, 0, 54 + 23},
		{"line feeds in a body, then a crlf head", []string{"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n", "\n\n" + ok}, -1, -1},
		{"chunked body of line feeds, then a crlf head", []string{
			"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\n\n\n\n\r\nA\r\n\n\n\n\n\n\n\n\n\n\n\r\n0\r\n\r\n" + ok}, -1, -1},
		{"chunked body split between reads, then a bare lf head", []string{
			"POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\nContent-Length: 9\r\n\r\n2\r", "\n\n\n\r\n0\r\nX-T: 1\r\n\r\n", bare}, 2, 23},
		{"bare lf in a trailer", []string{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\n\n"}, 0, 56},
		{"upgrade: the next bytes are not scanned", []string{"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n", "\x81\x05a\nb\n\n"}, -1, -1},
		{"unparsable framing: the next bytes are not scanned", []string{"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", "\n\n"}, -1, -1},
	}
	for _, tc := range cases {
		read, index := scanAll(tc.reads...)
		if read != tc.read || index != tc.index {
			t.Errorf("%s: bare LF at read %d index %d, want %d %d", tc.name, read, index, tc.read, tc.index)
		}
	}
}

func TestHeadGuardResyncsAfterAStop(t *testing.T) {
	var g headGuard
	g.start()
	g.scan([]byte("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"))
	g.resync() // the request was answered without switching protocols
	if at := g.scan([]byte("GET / HTTP/1.1\nHost: x\n\n")); at != 14 {
		t.Fatalf("bare LF at %d after resync, want 14", at)
	}
	g.start()
	g.scan([]byte("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nab"))
	g.resync() // in sync: a no-op while the body is still read
	if at := g.scan([]byte("\n\n\n\n\n\n\n\n")); at != -1 {
		t.Fatalf("body bytes taken for a head after resync: bare LF at %d", at)
	}
}

// TestHeadGuardFollowsRandomPipelines feeds the guard pipelines of valid requests (bodies
// full of line feeds, with Content-Length or chunked, with or without trailers) cut into
// reads of random sizes: no byte of them is a bare LF of a head, and a bare-LF head after
// them is found where it is.
func TestHeadGuardFollowsRandomPipelines(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	body := func() []byte {
		b := make([]byte, rng.IntN(300))
		for i := range b {
			b[i] = "a\n\r\n:"[rng.IntN(5)]
		}
		return b
	}
	request := func() string {
		switch rng.IntN(3) {
		case 0:
			return "GET /x HTTP/1.1\r\nHost: x\r\n\r\n"
		case 1:
			b := body()
			return fmt.Sprintf("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(b), b)
		default:
			var s strings.Builder
			s.WriteString("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
			for n := rng.IntN(4); n > 0; n-- {
				b := body()
				if len(b) == 0 {
					continue
				}
				fmt.Fprintf(&s, "%x\r\n%s\r\n", len(b), b)
			}
			s.WriteString("0\r\n")
			if rng.IntN(2) == 0 {
				s.WriteString("X-Checksum: 1\r\n")
			}
			s.WriteString("\r\n")
			return s.String()
		}
	}
	const bare = "GET / HTTP/1.1\r\nHost: x\n\n"
	for round := 0; round < 500; round++ {
		var stream strings.Builder
		for n := 1 + rng.IntN(5); n > 0; n-- {
			stream.WriteString(request())
		}
		valid := stream.Len()
		stream.WriteString(bare)
		data := stream.String()
		var g headGuard
		g.start()
		found := -1
		for at := 0; at < len(data) && found < 0; {
			end := min(len(data), at+1+rng.IntN(64))
			if i := g.scan([]byte(data[at:end])); i >= 0 {
				found = at + i
			}
			at = end
		}
		if want := valid + len(bare) - 2; found != want {
			t.Fatalf("round %d: bare LF found at %d, want %d in %q", round, found, want, data)
		}
	}
}

// BenchmarkHeadGuard is the guard's cost per request: a browser-sized head, and a
// POST whose 4 KiB body is skipped.
func BenchmarkHeadGuard(b *testing.B) {
	head := "GET /users/mini10?page=2 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n" +
		"Accept: application/json\r\nAccept-Encoding: gzip, br\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x\r\n\r\n"
	post := "POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n" +
		strings.Repeat("{\"a\":1}\n", 512)
	for name, data := range map[string][]byte{"get": []byte(head), "post-4k": []byte(post)} {
		b.Run(name, func(b *testing.B) {
			var g headGuard
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				g.start()
				if g.scan(data) >= 0 {
					b.Fatal("bare LF found")
				}
			}
		})
	}
}
