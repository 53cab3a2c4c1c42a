package server

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// A multipart body read into memory is checked against every File() limit before
// Python runs, and the 422 lists every problem as Python does: the limits in the
// order of the handler's parameters, for each the file count, then each file's size
// and type.
func TestFileLimitsOfABodyInMemory(t *testing.T) {
	maxSize, minSize, maxFiles, one := 10, 2, 1, 1
	limits := []FileLimit{
		{Field: "img", MaxSize: &maxSize, MinSize: &minSize, AllowedTypes: []string{"image/*"}},
		{Field: "docs", MaxFiles: &maxFiles, MinSize: &one},
	}
	cases := []struct {
		name  string
		parts []filePart
		want  string // the 422 body, or "" when Python gets the body
	}{
		{"within the limits", []filePart{{"docs", "a.txt", "", "a"}, {"img", "a.png", "image/png", "0123456789"}, {"note", "", "", ""}}, ""},
		{"every problem, in parameter order", []filePart{
			{"docs", "a.txt", "", "a"}, {"docs", "b.txt", "text/plain", ""}, {"img", "a.txt", "text/plain", "0123456789x"},
		}, `{"detail":[` +
			`{"type":"file_too_large","loc":["body","img"],"msg":"File exceeds maximum size of 10 bytes","ctx":{"max_size":10,"actual_size":11}},` +
			`{"type":"file_invalid_content_type","loc":["body","img"],"msg":"Invalid content type 'text/plain'","ctx":{"allowed_types":["image/*"],"actual_type":"text/plain"}},` +
			`{"type":"file_too_many","loc":["body","docs"],"msg":"Too many files uploaded","ctx":{"max_files":1,"actual_count":2}},` +
			`{"type":"file_too_small","loc":["body","docs"],"msg":"File is below minimum size of 1 bytes","ctx":{"min_size":1,"actual_size":0}}]}`},
		{"too small", []filePart{{"img", "a.png", "image/png", "x"}},
			`{"detail":[{"type":"file_too_small","loc":["body","img"],"msg":"File is below minimum size of 2 bytes","ctx":{"min_size":2,"actual_size":1}}]}`},
		{"a part without a filename is a form field", []filePart{{"img", "", "text/plain", ""}}, ""},
	}
	addr, py, seen := limitedServer(t, limits...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := py.doCount()
			body := multipartOf(tc.parts...)
			status, text := post(t, http.DefaultClient, "http://"+addr+"/upload", "multipart/form-data; boundary=b", bytes.NewReader(body))
			if tc.want == "" {
				if status != 200 || seen.body != len(body) {
					t.Fatalf("status %d %q; python got %d bytes, want the %d-byte body", status, text, seen.body, len(body))
				}
				return
			}
			if status != 422 || text != tc.want {
				t.Fatalf("status %d\n got %s\nwant %s", status, text, tc.want)
			}
			if py.doCount() != before {
				t.Fatal("python ran for a refused upload")
			}
		})
	}
}

// A body spooled to disk that ends within the early limits is checked for min_size
// once its last part has been read, before Python runs.
func TestMinSizeOfASpooledBody(t *testing.T) {
	minSize := 5
	addr, py, _ := limitedServer(t, FileLimit{Field: "img", MinSize: &minSize})
	body := multipartOf(filePart{"img", "a.png", "image/png", "abc"}, filePart{"other", "", "", strings.Repeat("x", 200<<10)})
	status, text := post(t, http.DefaultClient, "http://"+addr+"/upload", "multipart/form-data; boundary=b", bytes.NewReader(body))
	want := `{"detail":[{"type":"file_too_small","loc":["body","img"],"msg":"File is below minimum size of 5 bytes","ctx":{"min_size":5,"actual_size":3}}]}`
	if status != 422 || text != want {
		t.Fatalf("status %d\n got %s\nwant %s", status, text, want)
	}
	if py.doCount() != 0 {
		t.Fatal("python ran for a refused upload")
	}
	assertNoSpooledFiles(t)
}

// The cost the in-memory check adds to a small upload on a route with File() limits.
func BenchmarkUploadsFitSmallBody(b *testing.B) {
	maxSize, minSize := 4096, 1
	r := &route{spec: RouteSpec{Uploads: []FileLimit{{Field: "img", MaxSize: &maxSize, MinSize: &minSize, AllowedTypes: []string{"image/*"}}}}}
	r.uploads = map[string]*FileLimit{"img": &r.spec.Uploads[0]}
	body := multipartOf(filePart{"title", "", "", "a title"}, filePart{"img", "a.png", "image/png", strings.Repeat("x", 1000)})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		check, boundary := newUploadCheck(r, []byte("multipart/form-data; boundary=b"), false)
		_ = check.run(bytes.NewReader(body), boundary)
		if check.problem != nil {
			b.Fatal(string(check.problem))
		}
	}
}
