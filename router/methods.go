package router

// Method indices are also bit positions in MethodSet, and their order is the
// order in which an Allow header lists methods.
const (
	methodGET = iota
	methodPOST
	methodPUT
	methodPATCH
	methodDELETE
	methodHEAD
	methodOPTIONS
	numMethods
)

var methodNames = [numMethods]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// methodIndex returns the index of a supported method, or -1. Methods are
// case-sensitive (RFC 9110). Switching on string(m) does not allocate.
func methodIndex[S ~string | ~[]byte](m S) int {
	switch string(m) {
	case "GET":
		return methodGET
	case "POST":
		return methodPOST
	case "PUT":
		return methodPUT
	case "PATCH":
		return methodPATCH
	case "DELETE":
		return methodDELETE
	case "HEAD":
		return methodHEAD
	case "OPTIONS":
		return methodOPTIONS
	}
	return -1
}

// MethodSet is a set of HTTP methods, as returned by Router.Allowed.
type MethodSet uint8

// Has reports whether method is in the set.
func (s MethodSet) Has(method string) bool {
	i := methodIndex(method)
	return i >= 0 && s&(1<<i) != 0
}

// AppendAllow appends the set as an Allow header value, e.g. "GET, HEAD",
// listing methods in the fixed order GET, POST, PUT, PATCH, DELETE, HEAD,
// OPTIONS. It lets callers write the header without allocating.
func (s MethodSet) AppendAllow(dst []byte) []byte {
	first := true
	for i, name := range methodNames {
		if s&(1<<i) == 0 {
			continue
		}
		if !first {
			dst = append(dst, ", "...)
		}
		dst = append(dst, name...)
		first = false
	}
	return dst
}

// String returns the Allow header value for the set ("" if empty).
func (s MethodSet) String() string { return string(s.AppendAllow(nil)) }

// With returns s plus method (unknown methods are ignored).
func (s MethodSet) With(method string) MethodSet {
	if i := methodIndex(method); i >= 0 {
		return s | 1<<i
	}
	return s
}
