package router

import "testing"

func TestMethodIndex(t *testing.T) {
	tests := []struct {
		method string
		want   int
	}{
		{"GET", methodGET},
		{"POST", methodPOST},
		{"PUT", methodPUT},
		{"PATCH", methodPATCH},
		{"DELETE", methodDELETE},
		{"HEAD", methodHEAD},
		{"OPTIONS", methodOPTIONS},
		{"get", -1}, // methods are case-sensitive
		{"TRACE", -1},
		{"CONNECT", -1},
		{"", -1},
	}
	for _, tt := range tests {
		if got := methodIndex(tt.method); got != tt.want {
			t.Errorf("methodIndex(%q) = %d, want %d", tt.method, got, tt.want)
		}
		if got := methodIndex([]byte(tt.method)); got != tt.want {
			t.Errorf("methodIndex([]byte(%q)) = %d, want %d", tt.method, got, tt.want)
		}
	}
}

func TestMethodIndexBytesDoesNotAllocate(t *testing.T) {
	m := []byte("OPTIONS")
	if n := testing.AllocsPerRun(100, func() { methodIndex(m) }); n != 0 {
		t.Errorf("methodIndex([]byte) allocates %v times", n)
	}
}

func TestMethodSet(t *testing.T) {
	all := MethodSet(1<<numMethods - 1)
	tests := []struct {
		set  MethodSet
		want string
	}{
		{0, ""},
		{1 << methodGET, "GET"},
		{1<<methodHEAD | 1<<methodGET, "GET, HEAD"},
		{1<<methodOPTIONS | 1<<methodDELETE | 1<<methodPOST, "POST, DELETE, OPTIONS"},
		{all, "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"},
	}
	for _, tt := range tests {
		if got := tt.set.String(); got != tt.want {
			t.Errorf("MethodSet(%08b).String() = %q, want %q", uint8(tt.set), got, tt.want)
		}
		if got := string(tt.set.AppendAllow([]byte("Allow: "))); got != "Allow: "+tt.want {
			t.Errorf("AppendAllow = %q, want %q", got, "Allow: "+tt.want)
		}
	}
}

func TestMethodSetHas(t *testing.T) {
	set := MethodSet(1<<methodGET | 1<<methodPATCH)
	tests := []struct {
		method string
		want   bool
	}{
		{"GET", true},
		{"PATCH", true},
		{"POST", false},
		{"OPTIONS", false},
		{"TRACE", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := set.Has(tt.method); got != tt.want {
			t.Errorf("Has(%q) = %v, want %v", tt.method, got, tt.want)
		}
	}
}

func TestMethodSetWith(t *testing.T) {
	var s MethodSet
	s = s.With("GET").With("OPTIONS").With("BREW")
	if got := s.String(); got != "GET, OPTIONS" {
		t.Fatalf("With: got %q, want %q", got, "GET, OPTIONS")
	}
}
