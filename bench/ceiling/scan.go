package main

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// scanner is a minimal JSON reader for request bodies of a known shape. The ceiling
// decodes with it rather than encoding/json because reflection-driven decoding is
// several times slower than the C decoder the Python side uses: measured with it,
// the "ceiling" would sit below django-bolt and bound nothing. A schema-specific
// walk over the bytes is about the least work that still checks every value.
//
// Errors are sticky: after the first one every call is a no-op, and err says why.
type scanner struct {
	b   []byte
	i   int
	err error
}

var errSyntax = errors.New("invalid JSON")

func (s *scanner) fail() {
	if s.err == nil {
		s.err = errSyntax
	}
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next returns the next non-space byte without consuming it (0 at the end).
func (s *scanner) next() byte {
	s.ws()
	if s.err != nil || s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) expect(c byte) {
	if s.next() != c {
		s.fail()
		return
	}
	s.i++
}

// end checks that only whitespace follows the document.
func (s *scanner) end() error {
	s.ws()
	if s.err == nil && s.i != len(s.b) {
		s.fail()
	}
	return s.err
}

// field moves to the next key of an object and returns it; first opens the object.
// It returns false at the end of the object (or on an error). Loop with
//
//	for key, ok := s.field(true); ok; key, ok = s.field(false) { …consume the value… }
//
// (an iterator rather than a callback: closures would cost an allocation each).
func (s *scanner) field(first bool) ([]byte, bool) {
	if !s.open(first, '{', '}') {
		return nil, false
	}
	key := s.str()
	s.expect(':')
	return key, s.err == nil
}

// elem moves to the next element of an array, like field.
func (s *scanner) elem(first bool) bool {
	return s.open(first, '[', ']')
}

// open consumes the opening bracket (first) or the separator before the next
// member; false when the closing bracket comes instead.
func (s *scanner) open(first bool, opening, closing byte) bool {
	if first {
		s.expect(opening)
		if s.next() == closing {
			s.i++
			return false
		}
		return s.err == nil
	}
	switch s.next() {
	case ',':
		s.i++
		return true
	case closing:
		s.i++
	default:
		s.fail()
	}
	return false
}

// text reads a string value as a Go string sharing the input's memory: the decoded
// document lives only as long as the request, so copying each string would be work
// a ceiling need not do.
func (s *scanner) text() string {
	b := s.str()
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// str reads a string. Without escapes it returns a slice of the input (no copy).
func (s *scanner) str() []byte {
	s.expect('"')
	start := s.i
	for s.err == nil && s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[start : s.i-1]
		case c == '\\':
			return s.unescape(start)
		case c < 0x20:
			s.fail()
		default:
			s.i++
		}
	}
	s.fail()
	return nil
}

func (s *scanner) unescape(start int) []byte {
	out := append([]byte(nil), s.b[start:s.i]...)
	for s.err == nil && s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return out
		case c < 0x20:
			s.fail()
		case c != '\\':
			out = append(out, c)
			s.i++
		case s.i+1 >= len(s.b):
			s.fail()
		default:
			s.i += 2
			switch e := s.b[s.i-1]; e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := s.hex4()
				if utf16.IsSurrogate(r) && s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					s.i += 2
					r = utf16.DecodeRune(r, s.hex4())
				}
				out = utf8.AppendRune(out, r)
			default:
				s.fail()
			}
		}
	}
	s.fail()
	return nil
}

func (s *scanner) hex4() rune {
	if s.i+4 > len(s.b) {
		s.fail()
		return 0
	}
	v, err := strconv.ParseUint(string(s.b[s.i:s.i+4]), 16, 16)
	if err != nil {
		s.fail()
	}
	s.i += 4
	return rune(v)
}

// number returns the bytes of a number token.
func (s *scanner) number() []byte {
	s.ws()
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			s.i++
			continue
		}
		break
	}
	if s.i == start {
		s.fail()
	}
	return s.b[start:s.i]
}

func (s *scanner) int() int64 {
	tok := s.number()
	if s.err != nil {
		return 0
	}
	var n int64
	neg := len(tok) > 0 && tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	if len(tok) == 0 || len(tok) > 18 {
		s.fail()
		return 0
	}
	for _, c := range tok {
		if c < '0' || c > '9' {
			s.fail()
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

func (s *scanner) float() float64 {
	tok := s.number()
	if s.err != nil {
		return 0
	}
	// Fast path for plain decimals ("-12.375"): with at most 15 digits the mantissa
	// and the power of ten are exact doubles, so one division rounds correctly.
	var mant uint64
	digits, frac, dot := 0, 0, false
	neg := len(tok) > 0 && tok[0] == '-'
	for i, c := range tok {
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		case c == '-' && i == 0:
		default:
			digits = 99 // exponent or odd syntax: leave it to strconv
		}
	}
	if digits > 0 && digits <= 15 && !(dot && frac == 0) {
		f := float64(mant) / pow10[frac]
		if neg {
			f = -f
		}
		return f
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		s.fail()
	}
	return f
}

func (s *scanner) literal(word string) bool {
	s.ws()
	if s.err != nil || len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

func (s *scanner) bool() bool {
	switch {
	case s.literal("true"):
		return true
	case s.literal("false"):
		return false
	}
	s.fail()
	return false
}

// skip consumes any value (fields the schema does not know).
func (s *scanner) skip() {
	switch s.next() {
	case '{':
		for _, ok := s.field(true); ok; _, ok = s.field(false) {
			s.skip()
		}
	case '[':
		for ok := s.elem(true); ok; ok = s.elem(false) {
			s.skip()
		}
	case '"':
		s.str()
	case 't', 'f':
		s.bool()
	case 'n':
		if !s.literal("null") {
			s.fail()
		}
	default:
		s.number()
	}
}

func (s *scanner) strings() []string {
	var out []string
	for ok := s.elem(true); ok; ok = s.elem(false) {
		out = append(out, s.text())
	}
	if out == nil {
		out = []string{}
	}
	return out
}
