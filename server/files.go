package server

import (
	"errors"
	"io/fs"
	"os"

	"github.com/valyala/fasthttp"
)

// serveFile sends the file at path as the body without reading it into memory.
func serveFile(ctx *fasthttp.RequestCtx, path string) {
	f, err := os.Open(path)
	if err != nil {
		fileError(ctx, err)
		return
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = errors.New("not a regular file")
		}
		fileError(ctx, err)
		return
	}
	ctx.Response.SetBodyStream(f, int(info.Size()))
}

func fileError(ctx *fasthttp.RequestCtx, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		writeText(ctx, fasthttp.StatusNotFound, "File not found")
	case errors.Is(err, fs.ErrPermission):
		writeText(ctx, fasthttp.StatusForbidden, "Permission denied")
	default:
		writeText(ctx, fasthttp.StatusInternalServerError, "File error: "+err.Error())
	}
}
