package server

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"
)

// FileLimit is the limits of one File() parameter that the server checks while a
// multipart body streams to disk, so that a file over them is refused before the rest
// of the body is read. Python checks the same limits again (and min_size) on what it
// parses; a nil limit is not set.
type FileLimit struct {
	Field        string   `msgpack:"field"`
	MaxSize      *int     `msgpack:"max_size"`
	AllowedTypes []string `msgpack:"allowed_types"`
	MaxFiles     *int     `msgpack:"max_files"`
}

// uploadCheck follows a multipart body as it is spooled and stops at the first file
// over its parameter's limits. Its refusal is the 422 Python gives for the same file,
// with one difference: the server stops reading at the first byte or file past a
// limit, so actual_size is max_size + 1 and actual_count max_files + 1.
type uploadCheck struct {
	limits  map[string]*FileLimit
	counts  map[string]int
	problem []byte // the 422 body once a limit is passed
}

// newUploadCheck returns nil when the route declares no limits or the body is not
// multipart with a boundary.
func newUploadCheck(limits map[string]*FileLimit, contentType []byte) (*uploadCheck, string) {
	if len(limits) == 0 {
		return nil, ""
	}
	_, params, err := mime.ParseMediaType(string(contentType))
	if err != nil || params["boundary"] == "" {
		return nil, ""
	}
	return &uploadCheck{limits: limits, counts: map[string]int{}}, params["boundary"]
}

// run reads body (which copies itself to the spooled file as it is read) part by part
// until the end, or until a file is over its limits (then c.problem is set). A body
// that is not valid multipart is read to its end unchecked: Python reports it.
func (c *uploadCheck) run(body io.Reader, boundary string) error {
	parts := multipart.NewReader(body, boundary)
	for {
		part, err := parts.NextRawPart()
		if err != nil {
			return drain(body)
		}
		limit := c.fileField(part)
		if limit == nil {
			continue // NextRawPart skips the rest of this part
		}
		c.counts[limit.Field]++
		if limit.MaxFiles != nil && c.counts[limit.Field] > *limit.MaxFiles {
			c.refuse(limit, "file_too_many", "Too many files uploaded",
				ctxPair{"max_files", *limit.MaxFiles}, ctxPair{"actual_count", c.counts[limit.Field]})
			return nil
		}
		if ct := partType(part.Header.Get("Content-Type")); limit.AllowedTypes != nil && !typeAllowed(ct, limit.AllowedTypes) {
			c.refuse(limit, "file_invalid_content_type", "Invalid content type '"+ct+"'",
				ctxPair{"allowed_types", limit.AllowedTypes}, ctxPair{"actual_type", ct})
			return nil
		}
		if limit.MaxSize != nil {
			n, err := io.Copy(io.Discard, io.LimitReader(part, int64(*limit.MaxSize)+1))
			if n > int64(*limit.MaxSize) {
				c.refuse(limit, "file_too_large", "File exceeds maximum size of "+strconv.Itoa(*limit.MaxSize)+" bytes",
					ctxPair{"max_size", *limit.MaxSize}, ctxPair{"actual_size", n})
				return nil
			}
			if err != nil {
				return drain(body)
			}
		}
	}
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
	return c.limits[params["name"]]
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

// refuse records the 422 body: {"detail": [{"type", "loc", "msg", "ctx"}]}, keys in
// Python's order.
func (c *uploadCheck) refuse(limit *FileLimit, kind, msg string, ctx ...ctxPair) {
	var b bytes.Buffer
	b.WriteString(`{"detail":[{"type":`)
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
	b.WriteString(`}}]}`)
	c.problem = b.Bytes()
}

// writeJSONValue writes v as compact JSON without HTML escaping, as Python does.
func writeJSONValue(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	b.Truncate(b.Len() - 1) // Encode ends with a newline
}
