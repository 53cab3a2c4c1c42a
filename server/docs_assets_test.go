package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docsServer serves a UI directory of the shape django_bolt/openapi/ui has.
func docsServer(t *testing.T) (*Server, string) {
	t.Helper()
	root := t.TempDir()
	script := "window.ui = 1;" + strings.Repeat(" // the same line again", 400)
	for name, content := range map[string]string{
		"ui-1.0/ui.js":   script,
		"ui-1.0/ui.css":  "body{}",
		"ui-1.0/LICENSE": "MIT",
	} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	table := newTable(RouteSpec{Method: "GET", Path: "/docs/", HandlerID: 0, Name: "docs"})
	table.DocsAssets = &DocsAssets{URLPrefix: "/docs/assets", Root: root, Files: []string{"ui-1.0/ui.js", "ui-1.0/ui.css"}}
	s, _ := newTestServer(t, table, newFake(nil))
	return s, script
}

func TestDocsAssetsAreImmutableAndGzippedOnce(t *testing.T) {
	s, script := docsServer(t)
	get := func(method string, headers ...string) sentResponse {
		ctx := newCtx(method, "/docs/assets/ui-1.0/ui.js", headers...)
		s.handle(ctx)
		return send(t, ctx)
	}
	plain := get("GET")
	if plain.status != 200 || plain.body != script || plain.get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("plain: %d %q", plain.status, plain.raw[:200])
	}
	if plain.get("Cache-Control") != "public, max-age=31536000, immutable" || plain.get("Vary") != "Accept-Encoding" ||
		plain.get("Content-Encoding") != "" || !strings.HasPrefix(plain.get("ETag"), `"`) {
		t.Fatalf("plain headers: %s", plain.raw[:300])
	}
	zipped := get("GET", "Accept-Encoding", "br, gzip;q=0.5")
	if zipped.get("Content-Encoding") != "gzip" || len(zipped.body) >= len(script)/3 {
		t.Fatalf("gzip: %q, %d bytes of %d", zipped.get("Content-Encoding"), len(zipped.body), len(script))
	}
	r, err := gzip.NewReader(bytes.NewReader([]byte(zipped.body)))
	if err != nil {
		t.Fatal(err)
	}
	if unzipped, _ := io.ReadAll(r); string(unzipped) != script {
		t.Fatal("the gzipped body is not the script")
	}
	if zipped.get("ETag") == plain.get("ETag") || get("GET", "Accept-Encoding", "gzip").body != zipped.body {
		t.Fatal("the gzip variant needs its own ETag and the same bytes every time")
	}
	if refused := get("GET", "Accept-Encoding", "gzip;q=0, identity"); refused.get("Content-Encoding") != "" {
		t.Fatal("gzip;q=0 got gzip")
	}
	for _, tc := range []struct{ inm, encoding string }{
		{plain.get("ETag"), "identity"},
		{`"other", W/` + plain.get("ETag"), "identity"},
		{zipped.get("ETag"), "gzip"},
		{"*", "gzip"},
	} {
		r := get("GET", "If-None-Match", tc.inm, "Accept-Encoding", tc.encoding)
		if r.status != 304 || r.body != "" || r.get("ETag") == "" || r.get("Cache-Control") == "" {
			t.Fatalf("If-None-Match %s: %d %q", tc.inm, r.status, r.raw)
		}
	}
	if r := get("GET", "If-None-Match", zipped.get("ETag")); r.status != 200 {
		t.Fatalf("the gzip ETag matched the identity body: %d", r.status)
	}
	if head := get("HEAD", "Accept-Encoding", "gzip"); head.status != 200 || head.body != "" || head.get("Content-Encoding") != "gzip" {
		t.Fatalf("HEAD: %d %q", head.status, head.raw)
	}
	css := newCtx("GET", "/docs/assets/ui-1.0/ui.css")
	s.handle(css)
	if r := send(t, css); r.status != 200 || r.body != "body{}" || r.get("Content-Type") != "text/css; charset=utf-8" {
		t.Fatalf("css: %d %q", r.status, r.raw)
	}
}

func TestDocsAssetsServeOnlyTheListedFiles(t *testing.T) {
	s, _ := docsServer(t)
	for _, tc := range []struct{ method, uri string }{
		{"GET", "/docs/assets/ui-1.0/LICENSE"}, // in the directory, not listed
		{"GET", "/docs/assets/ui-1.0/../ui-1.0/ui.js"},
		{"GET", "/docs/assets/ui-1.0%2Fui.js"},
		{"GET", "/docs/assets/ui-2.0/ui.js"},
		{"GET", "/docs/assets/"},
		{"POST", "/docs/assets/ui-1.0/ui.js"},
	} {
		ctx := newCtx(tc.method, tc.uri)
		s.handle(ctx)
		if r := send(t, ctx); r.status != 404 && r.status != 405 {
			t.Errorf("%s %s: %d %q", tc.method, tc.uri, r.status, r.raw)
		}
	}
}

func TestDocsAssetsRefuseFilesThatAreNotAssets(t *testing.T) {
	for _, files := range [][]string{{"../secret.js"}, {"/etc/passwd.js"}, {"ui-1.0/run.sh"}} {
		table := newTable()
		table.DocsAssets = &DocsAssets{URLPrefix: "/docs/assets", Root: t.TempDir(), Files: files}
		if _, err := New(table, newFake(nil), nil); err == nil || !strings.Contains(err.Error(), "docs assets") {
			t.Errorf("%v: %v", files, err)
		}
	}
}
