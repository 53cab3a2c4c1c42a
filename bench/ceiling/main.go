// Command ceiling is the physical ceiling of the benchmark suite: a bare fasthttp
// server answering the benchmark endpoints with the same status, headers and body
// bytes as django-bolt, with no Python, router or middleware in the way. What it
// costs per request is the cost of HTTP itself on this machine; django-bolt's cost
// is reported as a ratio of it.
//
// Work that is part of the endpoint's contract (parsing a JSON body, a form, a
// multipart upload, building a JSON answer) is done per request here too, so the
// ratio measures the framework and not a skipped job: forms and uploads with
// fasthttp's own parsers, JSON bodies with a schema-specific scanner (scan.go). The ORM
// endpoints have no database here: their rows live in memory and are serialized per
// request, which is the floor for "send ten rows as JSON".
//
//	go build -o /tmp/ceiling ./bench/ceiling && /tmp/ceiling -addr 127.0.0.1:8001 -file sample.txt
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log"
	"mime"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
)

const (
	ctJSON = "application/json"
	ctText = "text/plain; charset=utf-8"
	ctHTML = "text/html; charset=utf-8"
	ctSSE  = "text/event-stream"
)

var (
	helloWorld   = []byte(`{"Hello":"World"}`)
	notFoundJSON = []byte(`{"detail":"Not found"}`)
	authRequired = []byte(`{"detail":"Authentication required"}`)
	missingHdr   = []byte(`{"detail":[{"loc":["header","x-test"],"msg":"Field required","type":"missing"}]}`)
	missingCook  = []byte(`{"detail":[{"loc":["cookie","session"],"msg":"Field required","type":"missing"}]}`)
	badPathInt   = []byte(`{"detail":[{"loc":["path","item_id"],"msg":"Input should be a valid integer, unable to parse string as an integer","type":"int_parsing"}]}`)
	badBody      = []byte(`{"detail":[{"type":"validation_error","loc":["body"],"msg":"Invalid request body"}]}`)
	badForm      = []byte(`{"detail":[{"type":"validation_error","loc":["form"],"msg":"Invalid form data"}]}`)
	htmlBody     = []byte("<h1>Hello</h1>")
)

type server struct {
	samplePath string
	staticDir  string // served under /static/ when set
	users      []user
	secret     []byte // the example project's SECRET_KEY, which signs its JWTs
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8001", "address to listen on")
	file := flag.String("file", "python/examples/testproject/testproject/static_files/sample.txt",
		"file served by GET /file-static")
	static := flag.String("static", "", "directory served under /static/ (Django's admin static files)")
	flag.Parse()

	secret := os.Getenv("DJANGO_SECRET_KEY")
	if secret == "" {
		secret = "dev-insecure-testproject-key-do-not-use-in-production"
	}
	s := &server{samplePath: *file, staticDir: *static, users: seedUsers(10), secret: []byte(secret)}
	srv := &fasthttp.Server{
		Handler: s.handle,
		// Same Server header and header-name handling as django-bolt, so both send
		// the same bytes and the comparison is not skewed by response size.
		Name:                 "django-bolt",
		NoDefaultContentType: true,
		ReadBufferSize:       16 * 1024,
	}
	log.Printf("ceiling serving on http://%s (pid %d)", *addr, os.Getpid())
	if err := srv.ListenAndServe(*addr); err != nil {
		log.Fatal(err)
	}
}

func (s *server) handle(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	get := ctx.IsGet() || ctx.IsHead()
	switch {
	case (path == "/" || path == "/router/hello") && get:
		send(ctx, 200, ctJSON, helloWorld)
	case len(path) > len("/items/") && path[:len("/items/")] == "/items/":
		s.items(ctx, path[len("/items/"):])
	case path == "/bench/parse" && ctx.IsPost():
		benchParse(ctx)
	case path == "/header" && get:
		v := ctx.Request.Header.Peek("x-test")
		if v == nil {
			send(ctx, 422, ctJSON, missingHdr)
			return
		}
		send(ctx, 200, ctText, v)
	case path == "/cookie" && get:
		v := ctx.Request.Header.Cookie("session")
		if v == nil {
			send(ctx, 422, ctJSON, missingCook)
			return
		}
		send(ctx, 200, ctText, v)
	case path == "/exc" && get:
		send(ctx, 404, ctJSON, notFoundJSON)
	case path == "/html" && get:
		send(ctx, 200, ctHTML, htmlBody)
	case path == "/redirect" && get:
		ctx.SetStatusCode(302)
		ctx.Response.Header.Set("location", "/")
	case path == "/router/hello/" && get:
		// The trailing-slash redirect the server answers before any Python.
		ctx.SetStatusCode(308)
		ctx.Response.Header.Set("location", "/router/hello")
	case path == "/file-static" && get:
		s.fileStatic(ctx)
	case s.staticDir != "" && strings.HasPrefix(path, "/static/") && get:
		s.static(ctx, path[len("/static/"):])
	case path == "/stream" && get:
		ctx.SetStatusCode(200)
		ctx.SetContentType("text/plain")
		ctx.Response.SetBodyStream(&lineStream{}, -1)
	case (path == "/sse" || path == "/sse-async") && get:
		ctx.SetStatusCode(200)
		ctx.SetContentType(ctSSE)
		ctx.Response.Header.Set("x-accel-buffering", "no")
		ctx.Response.Header.Set("cache-control", "no-cache")
		ctx.Response.SetBodyStream(&eventStream{}, -1)
	case path == "/form" && ctx.IsPost():
		form(ctx)
	case path == "/upload" && ctx.IsPost():
		upload(ctx)
	case path == "/users/full10" && get:
		body, _ := json.Marshal(s.users)
		send(ctx, 200, ctJSON, body)
	case path == "/users/mini10" && get:
		mini := make([]userMini, len(s.users))
		for i, u := range s.users {
			mini[i] = userMini{ID: u.ID, Username: u.Username}
		}
		body, _ := json.Marshal(mini)
		send(ctx, 200, ctJSON, body)
	case path == "/auth/me" && get:
		s.authMe(ctx)
	case path == "/limited" && get:
		// The floor for refusing a caller past its limit: the answer alone.
		ctx.Response.Header.Set("Retry-After", "1")
		send(ctx, 429, ctJSON, rateLimited)
	case path == "/cors" && string(ctx.Method()) == fasthttp.MethodOptions:
		h := &ctx.Response.Header
		h.Set("Access-Control-Allow-Origin", string(ctx.Request.Header.Peek("Origin")))
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
		h.Set("Access-Control-Max-Age", "3600")
		h.Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
		ctx.SetStatusCode(204)
	default:
		send(ctx, 404, ctText, []byte("Not Found"))
	}
}

var rateLimited = []byte(`{"detail":"Rate limit exceeded. Try again in 1 seconds.","retry_after":1}`)

// authMe verifies an HS256 bearer token with the same library as the real server, so
// this is the floor for authenticating a request, not just for refusing one.
func (s *server) authMe(ctx *fasthttp.RequestCtx) {
	raw, ok := bytes.CutPrefix(ctx.Request.Header.Peek("Authorization"), []byte("Bearer "))
	if !ok {
		send(ctx, 401, ctJSON, authRequired)
		return
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(string(raw), claims, func(*jwt.Token) (any, error) { return s.secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(60*time.Second))
	if err != nil {
		send(ctx, 401, ctJSON, authRequired)
		return
	}
	sub, _ := claims["sub"].(string)
	username, _ := claims["username"].(string)
	body := append([]byte(`{"user_id":`), strconv.Quote(sub)...)
	body = append(append(body, `,"username":`...), strconv.Quote(username)...)
	body = append(body, `,"is_staff":false}`...)
	send(ctx, 200, ctJSON, body)
}

func send(ctx *fasthttp.RequestCtx, status int, contentType string, body []byte) {
	ctx.SetStatusCode(status)
	ctx.SetContentType(contentType)
	ctx.SetBody(body)
}

// items serves GET and PUT /items/{id}; the answer is built per request, as a
// handler would, rather than served from a constant.
func (s *server) items(ctx *fasthttp.RequestCtx, rawID string) {
	id, err := strconv.ParseInt(rawID, 10, 64)
	if err != nil {
		send(ctx, 422, ctJSON, badPathInt)
		return
	}
	switch {
	case ctx.IsGet() || ctx.IsHead():
		b := append(make([]byte, 0, 64), `{"item_id":`...)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, `,"q":`...)
		if q := ctx.QueryArgs().Peek("q"); q != nil {
			b = appendJSONString(b, q)
		} else {
			b = append(b, "null"...)
		}
		send(ctx, 200, ctJSON, append(b, '}'))
	case ctx.IsPut():
		name, err := decodeItem(ctx.PostBody())
		if err != nil {
			send(ctx, 422, ctJSON, badBody)
			return
		}
		b := append(make([]byte, 0, 64), `{"item_id":`...)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, `,"item_name":`...)
		b = appendJSONString(b, []byte(name))
		send(ctx, 200, ctJSON, append(b, '}'))
	default:
		send(ctx, 405, ctJSON, []byte(`{"detail":"Method Not Allowed"}`))
	}
}

// benchPayload mirrors BenchPayload in the example project.
type benchPayload struct {
	Title    string
	Entries  []entry
	Tags     []string
	Metadata map[string]string
}

type entry struct {
	ID        int64
	Title     string
	Score     float64
	Published bool
	Author    author
	Tags      []string
}

type author struct {
	ID          int64
	Name, Email string
}

// decodeBench reads and type-checks a BenchPayload; title and entries are required,
// like the fields without defaults in the msgspec model.
func decodeBench(body []byte) (p benchPayload, err error) {
	s := &scanner{b: body}
	var seen int
	for key, ok := s.field(true); ok; key, ok = s.field(false) {
		switch string(key) {
		case "title":
			p.Title, seen = s.text(), seen|1
		case "entries":
			seen |= 2
			p.Entries = make([]entry, 0, 128)
			for ok := s.elem(true); ok; ok = s.elem(false) {
				p.Entries = append(p.Entries, decodeEntry(s))
			}
		case "tags":
			p.Tags = s.strings()
		case "metadata":
			p.Metadata = map[string]string{}
			for k, ok := s.field(true); ok; k, ok = s.field(false) {
				p.Metadata[string(k)] = s.text()
			}
		default:
			s.skip()
		}
	}
	if err = s.end(); err == nil && seen != 3 {
		err = errSyntax
	}
	return p, err
}

func decodeEntry(s *scanner) (e entry) {
	var seen int
	for key, ok := s.field(true); ok; key, ok = s.field(false) {
		switch string(key) {
		case "id":
			e.ID, seen = s.int(), seen|1
		case "title":
			e.Title, seen = s.text(), seen|2
		case "score":
			e.Score, seen = s.float(), seen|4
		case "published":
			e.Published, seen = s.bool(), seen|8
		case "author":
			seen |= 16
			for k, ok := s.field(true); ok; k, ok = s.field(false) {
				switch string(k) {
				case "id":
					e.Author.ID = s.int()
				case "name":
					e.Author.Name = s.text()
				case "email":
					e.Author.Email = s.text()
				default:
					s.skip()
				}
			}
		case "tags":
			e.Tags = s.strings()
		default:
			s.skip()
		}
	}
	if seen != 31 {
		s.fail()
	}
	return e
}

func benchParse(ctx *fasthttp.RequestCtx) {
	p, err := decodeBench(ctx.PostBody())
	if err != nil {
		send(ctx, 422, ctJSON, badBody)
		return
	}
	published := 0
	authors := make(map[int64]struct{}, len(p.Entries))
	for _, e := range p.Entries {
		if e.Published {
			published++
		}
		authors[e.Author.ID] = struct{}{}
	}
	b := append(make([]byte, 0, 128), `{"title":`...)
	b = appendJSONString(b, []byte(p.Title))
	for _, kv := range [...]struct {
		key string
		n   int
	}{{"entries", len(p.Entries)}, {"published", published}, {"authors", len(authors)},
		{"tags", len(p.Tags)}, {"metadata_keys", len(p.Metadata)}} {
		b = append(b, `,"`...)
		b = append(b, kv.key...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, int64(kv.n), 10)
	}
	send(ctx, 200, ctJSON, append(b, '}'))
}

// decodeItem reads an Item: name and price required, is_offer a bool or null.
func decodeItem(body []byte) (name string, err error) {
	s := &scanner{b: body}
	var seen int
	for key, ok := s.field(true); ok; key, ok = s.field(false) {
		switch string(key) {
		case "name":
			name, seen = s.text(), seen|1
		case "price":
			s.float()
			seen |= 2
		case "is_offer":
			if !s.literal("null") {
				s.bool()
			}
		default:
			s.skip()
		}
	}
	if err = s.end(); err == nil && seen != 3 {
		err = errSyntax
	}
	return name, err
}

func form(ctx *fasthttp.RequestCtx) {
	args := ctx.PostArgs()
	name, rawAge := args.Peek("name"), args.Peek("age")
	age, err := strconv.ParseInt(string(rawAge), 10, 64)
	if name == nil || err != nil {
		send(ctx, 422, ctJSON, badForm)
		return
	}
	b := append(make([]byte, 0, 96), `{"name":`...)
	b = appendJSONString(b, name)
	b = append(b, `,"age":`...)
	b = strconv.AppendInt(b, age, 10)
	b = append(b, `,"email":`...)
	b = appendJSONString(b, args.Peek("email"))
	send(ctx, 200, ctJSON, append(b, '}'))
}

func upload(ctx *fasthttp.RequestCtx) {
	mf, err := ctx.MultipartForm()
	if err != nil || len(mf.File["file"]) == 0 {
		send(ctx, 422, ctJSON, badForm)
		return
	}
	files := mf.File["file"]
	var total int64
	b := append(make([]byte, 0, 128), `{"uploaded":`...)
	b = strconv.AppendInt(b, int64(len(files)), 10)
	for _, f := range files {
		total += f.Size
	}
	b = append(b, `,"total_bytes":`...)
	b = strconv.AppendInt(b, total, 10)
	b = append(b, `,"names":[`...)
	for i, f := range files {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, []byte(f.Filename))
	}
	send(ctx, 200, ctJSON, append(b, "]}"...))
}

// fileStatic sends the file from disk per request, like django-bolt's FileResponse.
func (s *server) fileStatic(ctx *fasthttp.RequestCtx) {
	f, err := os.Open(s.samplePath)
	if err != nil {
		send(ctx, 404, ctText, []byte("File not found"))
		return
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		send(ctx, 500, ctText, []byte("File error"))
		return
	}
	ctx.SetStatusCode(200)
	ctx.SetContentType("text/plain")
	ctx.Response.SetBodyStream(f, int(info.Size()))
}

// static sends a file of the static directory from disk per request, with the
// content type of its extension, like django-bolt's static files.
func (s *server) static(ctx *fasthttp.RequestCtx, rel string) {
	if rel == "" || strings.Contains(rel, "..") {
		send(ctx, 400, ctJSON, []byte(`{"detail":"Invalid static file path"}`))
		return
	}
	f, err := os.Open(filepath.Join(s.staticDir, filepath.FromSlash(rel)))
	if err != nil {
		send(ctx, 404, ctText, []byte("Not Found"))
		return
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		f.Close()
		send(ctx, 404, ctText, []byte("Not Found"))
		return
	}
	ctx.SetStatusCode(200)
	ctx.SetContentType(mime.TypeByExtension(filepath.Ext(rel)))
	ctx.Response.SetBodyStream(f, int(info.Size()))
}

// lineStream produces "line 0\n" … "line 99\n" on demand. Each Read becomes one
// HTTP chunk; reads of up to 128 bytes give about the chunking django-bolt's
// Python side produces for the same generator.
type lineStream struct {
	next int
	buf  []byte
}

const streamLines, streamChunk = 100, 128

func (l *lineStream) Read(p []byte) (int, error) {
	for len(l.buf) < streamChunk && l.next < streamLines {
		l.buf = append(l.buf, "line "...)
		l.buf = strconv.AppendInt(l.buf, int64(l.next), 10)
		l.buf = append(l.buf, '\n')
		l.next++
	}
	if len(l.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, l.buf[:min(len(l.buf), streamChunk)])
	l.buf = l.buf[:copy(l.buf, l.buf[n:])]
	return n, nil
}

// eventStream sends three server-sent events, one chunk each.
type eventStream struct {
	next int
	buf  []byte
}

func (e *eventStream) Read(p []byte) (int, error) {
	if len(e.buf) == 0 {
		if e.next == 3 {
			return 0, io.EOF
		}
		e.buf = append(e.buf, "data: event "...)
		e.buf = strconv.AppendInt(e.buf, int64(e.next), 10)
		e.buf = append(e.buf, "\n\n"...)
		e.next++
	}
	n := copy(p, e.buf)
	e.buf = e.buf[:copy(e.buf, e.buf[n:])]
	return n, nil
}

type user struct {
	ID         int64     `json:"id"`
	Username   string    `json:"username"`
	Email      string    `json:"email"`
	FirstName  string    `json:"first_name"`
	LastName   string    `json:"last_name"`
	IsActive   bool      `json:"is_active"`
	IsStaff    bool      `json:"is_staff"`
	DateJoined time.Time `json:"date_joined"`
	Bio        string    `json:"bio"`
}

type userMini struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// seedUsers builds the same first rows that GET /users/seed creates.
func seedUsers(n int) []user {
	joined := time.Date(2025, 1, 1, 12, 0, 0, 123456000, time.UTC)
	users := make([]user, n)
	for i := range users {
		name := "demo" + pad4(i)
		users[i] = user{
			ID: int64(i + 1), Username: name, Email: name + "@example.com",
			FirstName: "Demo", LastName: "User " + strconv.Itoa(i), IsActive: true,
			IsStaff: i%50 == 0, DateJoined: joined, Bio: "Demo account number " + strconv.Itoa(i) + ".",
		}
	}
	return users
}

func pad4(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

// appendJSONString appends s as a JSON string. Like msgspec, it leaves non-ASCII
// UTF-8 as is and escapes only what JSON requires.
func appendJSONString(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for len(s) > 0 {
		i := bytes.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == '"' || r == '\\' })
		if i < 0 {
			b = append(b, s...)
			break
		}
		b = append(b, s[:i]...)
		switch c := s[i]; c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		s = s[i+1:]
	}
	return append(b, '"')
}
