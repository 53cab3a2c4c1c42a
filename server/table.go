package server

import (
	"fmt"

	"github.com/vmihailenco/msgpack/v5"

	"djangobolt/middleware"
)

// Table is the route table Python compiles at start-up.
type Table struct {
	Routes   []RouteSpec             `msgpack:"routes"`
	Global   middleware.GlobalConfig `msgpack:"global"`
	Settings Settings                `msgpack:"settings"`
}

// RouteSpec is one route as Python describes it.
type RouteSpec struct {
	Method    string `msgpack:"method"`
	Path      string `msgpack:"path"`
	HandlerID int    `msgpack:"handler_id"`
	// Needs lists the request parts the handler's binding plan reads:
	// "params", "query", "headers", "cookies", "body".
	Needs    []string                `msgpack:"needs"`
	Security *middleware.RouteConfig `msgpack:"security"`
	// Name is the handler's dotted name, for error messages.
	Name string `msgpack:"name"`
}

// Settings are the Django settings the core needs.
type Settings struct {
	Debug         bool `msgpack:"debug"`
	MaxUploadSize int  `msgpack:"max_upload_size"`
	MaxHeaderSize int  `msgpack:"max_header_size"`
}

// DecodeTable parses the msgpack document produced by django_bolt._runtime.boot.load.
func DecodeTable(b []byte) (*Table, error) {
	var t Table
	if err := msgpack.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("route table from Python: %w", err)
	}
	if t.Settings.MaxUploadSize <= 0 || t.Settings.MaxHeaderSize <= 0 {
		return nil, fmt.Errorf("route table from Python: settings missing (max_upload_size=%d, max_header_size=%d)",
			t.Settings.MaxUploadSize, t.Settings.MaxHeaderSize)
	}
	return &t, nil
}
