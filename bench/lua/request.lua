-- The request every wrk connection repeats, described by the environment so that one
-- script serves every endpoint (bench/lib/wrk.py sets these variables):
--   BENCH_METHOD     HTTP method (default GET)
--   BENCH_BODY_FILE  path of a file sent as the body, read once at start-up
--   BENCH_HEADERS    "Name: value" lines
-- Only wrk.method/body/headers are set, with no request() or response() callbacks,
-- so wrk builds the request once and keeps its fast path: the load generator stays
-- as cheap for a POST as for a GET.

wrk.method = os.getenv("BENCH_METHOD") or "GET"

local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
    local f = assert(io.open(body_file, "rb"))
    wrk.body = f:read("*a")
    f:close()
end

local headers = os.getenv("BENCH_HEADERS")
if headers then
    for name, value in headers:gmatch("([^:\n]+):[ \t]*([^\n]*)") do
        wrk.headers[name] = value
    end
end
