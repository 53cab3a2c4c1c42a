package server

import "testing"

// scanAll feeds the head guard the reads in order and returns the read holding a bare
// LF and its index there, or -1, -1.
func scanAll(reads ...string) (int, int) {
	c := &conn{}
	c.rearm()
	for i, r := range reads {
		if !c.scanning {
			return -1, -1
		}
		if at := c.scan([]byte(r)); at >= 0 {
			return i, at
		}
	}
	return -1, -1
}

func TestHeadGuardFindsBareLFInTheHeadOnly(t *testing.T) {
	cases := []struct {
		name        string
		reads       []string
		read, index int
	}{
		{"crlf head", []string{"GET / HTTP/1.1\r\nHost: x\r\n\r\n"}, -1, -1},
		{"crlf head then a body of line feeds", []string{"POST / HTTP/1.1\r\nHost: x\r\n\r\n\n\n\n"}, -1, -1},
		{"body in a later read", []string{"POST / HTTP/1.1\r\nHost: x\r\n\r\n", "a\n\nb"}, -1, -1},
		{"crlf split between reads", []string{"GET / HTTP/1.1\r", "\nHost: x\r", "\n\r", "\n", "\n\n"}, -1, -1},
		{"bare lf request line", []string{"GET / HTTP/1.1\nHost: x\r\n\r\n"}, 0, 14},
		{"bare lf header", []string{"GET / HTTP/1.1\r\n", "Host: x\n\n"}, 1, 7},
		{"bare lf blank line", []string{"GET / HTTP/1.1\r\nHost: x\r\n\n"}, 0, 25},
	}
	for _, tc := range cases {
		read, index := scanAll(tc.reads...)
		if read != tc.read || index != tc.index {
			t.Errorf("%s: bare LF at read %d index %d, want %d %d", tc.name, read, index, tc.read, tc.index)
		}
	}
}
