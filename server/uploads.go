package server

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
)

// FileLimit is the limits of one File() parameter. The server checks them on every
// multipart body it reads for the route, before Python runs: a body held in memory
// all at once and with Python's own 422 body (uploadsFit), a large body while it
// streams to disk, refused at the first file over a limit (spool.go). A nil limit is
// not set.
type FileLimit struct {
	Field        string   `msgpack:"field"`
	MaxSize      *int     `msgpack:"max_size"`
	MinSize      *int     `msgpack:"min_size"`
	AllowedTypes []string `msgpack:"allowed_types"`
	MaxFiles     *int     `msgpack:"max_files"`
}

// uploadCheck reads a multipart body part by part and notes the size and type of each
// file of a limited field. On a body streaming to disk (early) it stops at the first
// file over a limit, since the rest of the body need not be read: that 422 is the one
// Python gives for the same file, except that actual_size is max_size + 1 and
// actual_count max_files + 1 (the server read no further). Otherwise, and once a
// streamed body has ended within the other limits, the 422 lists every problem of every
// file in Python's order and words (verdict).
type uploadCheck struct {
	limits  []FileLimit           // in the order of the handler's parameters
	byField map[string]*FileLimit // the route's: pointers into limits
	early   bool
	files   []seenFile
	counts  map[string]int
	problem []byte // the 422 body once a limit is passed
}

// seenFile is one file part of a limited field.
type seenFile struct {
	limit     *FileLimit
	size      int64
	mediaType string
}

// newUploadCheck returns nil when the route declares no limits or the body is not
// multipart with a boundary (Python then finds no files, or reports the body).
func newUploadCheck(r *route, contentType []byte, early bool) (*uploadCheck, string) {
	if len(r.uploads) == 0 {
		return nil, ""
	}
	_, params, err := mime.ParseMediaType(string(contentType))
	if err != nil || params["boundary"] == "" {
		return nil, ""
	}
	c := &uploadCheck{limits: r.spec.Uploads, byField: r.uploads, early: early, counts: map[string]int{}}
	return c, params["boundary"]
}

// uploadsFit checks the File() limits of a multipart body the route reads from memory
// (a spooled body was checked as it streamed) and answers 422 with Python's body when
// a file is over them. It returns false after answering.
func (s *Server) uploadsFit(ctx *fasthttp.RequestCtx, r *route, x *exchange) bool {
	if len(r.uploads) == 0 || x.body != "" || len(x.payload) == 0 {
		return true
	}
	check, boundary := newUploadCheck(r, ctx.Request.Header.ContentType(), false)
	if check == nil {
		return true
	}
	_ = check.run(bytes.NewReader(x.payload), boundary)
	if check.problem == nil {
		return true
	}
	middleware.WriteJSON(ctx, fasthttp.StatusUnprocessableEntity, check.problem)
	return false
}

// run reads body (which a spooled body copies to its file as it is read) part by part
// until the end, or until an early check finds a file over its limits; c.problem is
// then the 422 body. A body that is not valid multipart is read to its end unchecked:
// Python reports it.
func (c *uploadCheck) run(body io.Reader, boundary string) error {
	parts := multipart.NewReader(body, boundary)
	for {
		part, err := parts.NextRawPart()
		if err == io.EOF {
			c.problem = c.verdict()
			return nil
		}
		if err != nil {
			return drain(body)
		}
		limit := c.fileField(part)
		if limit == nil {
			continue // NextRawPart skips the rest of this part
		}
		c.counts[limit.Field]++
		file := seenFile{limit: limit, mediaType: partType(part.Header.Get("Content-Type"))}
		if c.early && limit.MaxFiles != nil && c.counts[limit.Field] > *limit.MaxFiles {
			c.problem = problems(tooMany(limit, c.counts[limit.Field]))
			return nil
		}
		if c.early && limit.AllowedTypes != nil && !typeAllowed(file.mediaType, limit.AllowedTypes) {
			c.problem = problems(badType(limit, file.mediaType))
			return nil
		}
		content := io.Reader(part)
		if c.early && limit.MaxSize != nil {
			content = io.LimitReader(part, int64(*limit.MaxSize)+1)
		}
		file.size, err = io.Copy(io.Discard, content)
		if c.early && limit.MaxSize != nil && file.size > int64(*limit.MaxSize) {
			c.problem = problems(tooLarge(limit, file.size))
			return nil
		}
		if err != nil {
			return drain(body)
		}
		c.files = append(c.files, file)
	}
}

// verdict is the 422 body Python gives for the files seen, or nil: the limits in the
// order of the handler's parameters, and for each the count, then each file's size and
// type.
func (c *uploadCheck) verdict() []byte {
	var errs [][]byte
	for i := range c.limits {
		limit := &c.limits[i]
		if c.byField[limit.Field] != limit {
			continue // a field named twice: its last limits apply
		}
		if n := c.counts[limit.Field]; limit.MaxFiles != nil && n > *limit.MaxFiles {
			errs = append(errs, tooMany(limit, n))
		}
		for _, f := range c.files {
			if f.limit != limit {
				continue
			}
			switch {
			case limit.MaxSize != nil && f.size > int64(*limit.MaxSize):
				errs = append(errs, tooLarge(limit, f.size))
			case limit.MinSize != nil && f.size < int64(*limit.MinSize):
				errs = append(errs, limitError(limit, "file_too_small",
					"File is below minimum size of "+strconv.Itoa(*limit.MinSize)+" bytes",
					ctxPair{"min_size", *limit.MinSize}, ctxPair{"actual_size", f.size}))
			}
			if limit.AllowedTypes != nil && !typeAllowed(f.mediaType, limit.AllowedTypes) {
				errs = append(errs, badType(limit, f.mediaType))
			}
		}
	}
	return problems(errs...)
}

func tooMany(limit *FileLimit, n int) []byte {
	return limitError(limit, "file_too_many", "Too many files uploaded",
		ctxPair{"max_files", *limit.MaxFiles}, ctxPair{"actual_count", n})
}

func tooLarge(limit *FileLimit, size int64) []byte {
	return limitError(limit, "file_too_large", "File exceeds maximum size of "+strconv.Itoa(*limit.MaxSize)+" bytes",
		ctxPair{"max_size", *limit.MaxSize}, ctxPair{"actual_size", size})
}

func badType(limit *FileLimit, mediaType string) []byte {
	return limitError(limit, "file_invalid_content_type", "Invalid content type '"+mediaType+"'",
		ctxPair{"allowed_types", limit.AllowedTypes}, ctxPair{"actual_type", mediaType})
}

// drain reads what is left of body once the multipart reader stops: at the end of a
// well-formed body nothing is left; after a malformed part the rest still goes to the
// file for Python to report. Errors reading the request itself are returned.
func drain(body io.Reader) error {
	_, err := io.CopyBuffer(onlyWriter{io.Discard}, body, make([]byte, 64<<10))
	return err
}

// onlyWriter hides io.Discard's ReadFrom, so copies use their own large buffer.
type onlyWriter struct{ io.Writer }

// fileField returns the limits of the parameter a part is a file of, or nil: parts
// without a filename are form fields, as Python reads them.
func (c *uploadCheck) fileField(part *multipart.Part) *FileLimit {
	_, params, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
	if err != nil {
		return nil
	}
	if _, isFile := params["filename"]; !isFile {
		return nil
	}
	return c.byField[params["name"]]
}

// partType is a part's media type as Python's UploadFile has it: lower-cased, without
// parameters, application/octet-stream when absent.
func partType(header string) string {
	media, _, _ := strings.Cut(header, ";")
	media = strings.ToLower(strings.TrimSpace(media))
	if media == "" {
		return "application/octet-stream"
	}
	return media
}

// typeAllowed matches entries exactly, as type/*, or as * and */*.
func typeAllowed(media string, allowed []string) bool {
	major, _, _ := strings.Cut(media, "/")
	for _, entry := range allowed {
		if entry == "*" || entry == "*/*" || entry == media ||
			strings.HasSuffix(entry, "/*") && entry[:len(entry)-2] == major {
			return true
		}
	}
	return false
}

type ctxPair struct {
	key   string
	value any
}

// limitError is one entry of a 422 body: {"type", "loc", "msg", "ctx"}, keys in
// Python's order.
func limitError(limit *FileLimit, kind, msg string, ctx ...ctxPair) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":`)
	writeJSONValue(&b, kind)
	b.WriteString(`,"loc":["body",`)
	writeJSONValue(&b, limit.Field)
	b.WriteString(`],"msg":`)
	writeJSONValue(&b, msg)
	b.WriteString(`,"ctx":{`)
	for i, p := range ctx {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONValue(&b, p.key)
		b.WriteByte(':')
		writeJSONValue(&b, p.value)
	}
	b.WriteString(`}}`)
	return b.Bytes()
}

// problems is the 422 body {"detail": [errs...]}, or nil without errors.
func problems(errs ...[]byte) []byte {
	if len(errs) == 0 {
		return nil
	}
	body := []byte(`{"detail":[`)
	body = append(body, bytes.Join(errs, []byte{','})...)
	return append(body, "]}"...)
}

// writeJSONValue writes v as compact JSON without HTML escaping, as Python does.
func writeJSONValue(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	b.Truncate(b.Len() - 1) // Encode ends with a newline
}
