package router

import "testing"

func TestParams(t *testing.T) {
	path := []byte("/u/42/p/7")
	ps := Params{names: []string{"user", "post"}}
	ps.push(path[3:5])
	ps.push(path[8:9])

	if ps.Len() != 2 {
		t.Fatalf("Len() = %d, want 2", ps.Len())
	}
	tests := []struct {
		name   string
		want   string
		wantOK bool
	}{
		{"user", "42", true},
		{"post", "7", true},
		{"missing", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		v, ok := ps.Get(tt.name)
		if string(v) != tt.want || ok != tt.wantOK {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", tt.name, v, ok, tt.want, tt.wantOK)
		}
	}
	if ps.Name(1) != "post" || string(ps.Value(1)) != "7" {
		t.Errorf("Name(1), Value(1) = %q, %q; want post, 7", ps.Name(1), ps.Value(1))
	}

	ps.Reset()
	if ps.Len() != 0 {
		t.Errorf("Len() after Reset = %d, want 0", ps.Len())
	}
	if _, ok := ps.Get("user"); ok {
		t.Error("Get after Reset found a stale parameter")
	}
}

func TestParamsIndexOutOfRangePanics(t *testing.T) {
	ps := Params{names: []string{"a"}}
	ps.push([]byte("x"))
	ps.Reset()
	for name, f := range map[string]func(){
		"Name":  func() { ps.Name(0) },
		"Value": func() { ps.Value(0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s(0) on empty Params did not panic", name)
				}
			}()
			f()
		}()
	}
}
