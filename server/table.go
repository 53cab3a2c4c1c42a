package server

import (
	"bytes"
	"fmt"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"djangobolt/middleware"
)

// Table is the route table Python compiles at start-up.
type Table struct {
	Routes     []RouteSpec             `msgpack:"routes"`
	WebSockets []WebSocketSpec         `msgpack:"websockets"`
	Global     middleware.GlobalConfig `msgpack:"global"`
	Settings   Settings                `msgpack:"settings"`
	// Static is nil when the project serves no static files.
	Static *StaticConfig `msgpack:"static"`
	// Site is nil when only the API (and the admin) is served.
	Site *SiteSpec `msgpack:"site"`
	// DocsAssets is nil without docs.
	DocsAssets *DocsAssets `msgpack:"docs_assets"`
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
	// Uploads are the limits of the handler's File() parameters, checked while a
	// large multipart body streams to disk (uploads.go).
	Uploads []FileLimit `msgpack:"uploads"`
	// Name is the handler's dotted name, for error messages.
	Name string `msgpack:"name"`
	// AccessLog is the access-log policy of the route's API (its LoggingConfig); nil:
	// the BOLT_ACCESS_LOG* settings alone.
	AccessLog *AccessLogPolicy `msgpack:"access_log"`
}

// AccessLogPolicy is what a BoltAPI's LoggingConfig says about the access-log lines of
// its routes (django_bolt.logging.config). The access log itself is on or off by
// BOLT_ACCESS_LOG.
type AccessLogPolicy struct {
	SkipPaths       []string `msgpack:"skip_paths"`        // request paths never logged
	SkipStatusCodes []int    `msgpack:"skip_status_codes"` // statuses never logged
	// Successful requests: the fraction logged and the slow threshold; nil keeps
	// BOLT_ACCESS_LOG_SAMPLE and BOLT_ACCESS_LOG_SLOW_MS.
	SampleRate    *float64 `msgpack:"sample_rate"`
	MinDurationMS *float64 `msgpack:"min_duration_ms"`
	Query         bool     `msgpack:"query"`       // the path is logged with its query string
	UserAgent     bool     `msgpack:"user_agent"`  // the User-Agent is logged
	Level         string   `msgpack:"level"`       // level of successful requests' lines
	ErrorLevel    string   `msgpack:"error_level"` // level of 5xx lines (4xx: WARNING)
}

// Settings are the server settings (BOLT_* in Django settings, validated by
// django_bolt.conf; see docs/settings.md). Durations are in seconds.
type Settings struct {
	Debug         bool `msgpack:"debug"`
	MaxUploadSize int  `msgpack:"max_upload_size"`
	// Multipart bodies larger than this reach Python as a file (see spool.go).
	MemorySpoolThreshold int     `msgpack:"memory_spool_threshold"`
	MaxHeaderSize        int     `msgpack:"max_header_size"`
	MaxHeaderBytes       int     `msgpack:"max_header_bytes"`
	MaxHeaderCount       int     `msgpack:"max_header_count"`
	ReadTimeout          float64 `msgpack:"read_timeout"`
	WriteTimeout         float64 `msgpack:"write_timeout"`
	KeepAlive            float64 `msgpack:"keep_alive"`
	MaxConnections       int     `msgpack:"max_connections"`
	MaxPending           int     `msgpack:"max_pending"`
	ShutdownTimeout      float64 `msgpack:"shutdown_timeout"`
	Backlog              int     `msgpack:"backlog"`
	AccessLog            string  `msgpack:"access_log"`
	AccessLogSample      float64 `msgpack:"access_log_sample"`
	AccessLogSlowMS      int     `msgpack:"access_log_slow_ms"`
	RequestID            bool    `msgpack:"request_id"`
	Metrics              bool    `msgpack:"metrics"`
	MetricsPath          string  `msgpack:"metrics_path"`
	// AllowedHosts is Django's ALLOWED_HOSTS (with its DEBUG default); ["*"] or empty
	// checks nothing. The test client sends none.
	AllowedHosts []string `msgpack:"allowed_hosts"`

	WSMaxConnections    int     `msgpack:"ws_max_connections"`
	WSChannelSize       int     `msgpack:"ws_channel_size"`
	WSHeartbeatInterval float64 `msgpack:"ws_heartbeat_interval"`
	WSClientTimeout     float64 `msgpack:"ws_client_timeout"`
	WSMaxMessageSize    int     `msgpack:"ws_max_message_size"`
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// DecodeTable parses the msgpack document produced by django_bolt._runtime.boot.load.
func DecodeTable(b []byte) (*Table, error) {
	var t Table
	// Strict: a key Go does not know would otherwise be a setting or rule silently
	// dropped (a Python package and a server binary from different builds, say).
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields(true)
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("route table from Python: %w (rebuild with `make build` if the Python package and the server binary differ)", err)
	}
	st := &t.Settings
	if st.MaxUploadSize <= 0 || st.MemorySpoolThreshold < 0 || st.MaxHeaderSize <= 0 || st.MaxHeaderBytes <= 0 || st.MaxHeaderCount <= 0 ||
		st.MaxConnections <= 0 || st.ReadTimeout <= 0 {
		return nil, fmt.Errorf("route table from Python: server settings missing or out of range: %+v", *st)
	}
	if len(t.WebSockets) > 0 && (st.WSMaxConnections <= 0 || st.WSChannelSize <= 0 || st.WSHeartbeatInterval <= 0 ||
		st.WSClientTimeout <= 0 || st.WSMaxMessageSize <= 0) {
		return nil, fmt.Errorf("route table from Python: WebSocket settings missing or out of range: %+v", *st)
	}
	switch st.AccessLog {
	case "off", "text", "json":
	default:
		return nil, fmt.Errorf("route table from Python: unknown access_log %q", st.AccessLog)
	}
	return &t, nil
}
