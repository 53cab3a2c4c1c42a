package middleware

import (
	"github.com/valyala/fasthttp"

	"djangobolt/protocol"
)

// WriteJSON and WriteText write every answer the Go side makes itself (errors, the
// automatic OPTIONS answer): they replace whatever the response held with status and
// one of the bodies of protocol/errors.go. CORS headers and compression are not theirs
// to add: Pipeline.Finish, the one exit of every response, adds them.
func WriteJSON(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.Response.Reset()
	ctx.SetStatusCode(status)
	ctx.SetContentType(protocol.ContentTypeJSON)
	ctx.Response.SetBodyRaw(body) // the bodies are shared and never written to
}

func WriteText(ctx *fasthttp.RequestCtx, status int, body string) {
	ctx.Response.Reset()
	ctx.SetStatusCode(status)
	ctx.SetContentType(protocol.ContentTypeText)
	ctx.SetBodyString(body)
}
