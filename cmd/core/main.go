// Command core is built as the extension module django_bolt._core
// (go build -buildmode=c-shared): the Go pipeline loaded into an ordinary Python
// process, which the in-process test client drives. It must not link libpython: the
// interpreter that imports it provides the symbols.
package main

import (
	"github.com/valyala/fasthttp"

	"djangobolt/pyhost"
	"djangobolt/server"
)

func init() {
	pyhost.AppFactory = func(table []byte, py *pyhost.Inline, httpLayer bool) (fasthttp.RequestHandler, error) {
		return server.NewTestHandler(table, py, httpLayer)
	}
}

func main() {}
