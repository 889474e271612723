-- wrk script for bench/server.sh. Without $WRK_BODY the requests are wrk's own (a GET: no
-- per-request Lua). With it, every request is a POST whose JSON body is the template in
-- $WRK_BODY with %s replaced by a name unique to the run, the thread and the request
-- ($WRK_PREFIX, the thread number and a counter). Path from the command line (wrk's URL);
-- headers (Authorization, Content-Type) from -H.
--   WRK_PREFIX=r1 WRK_BODY='{"sequence":"SQ010","name":"%s"}' \
--     wrk -s load.lua -H 'Content-Type: application/json' -H 'Authorization: Bearer …' URL
local template = os.getenv("WRK_BODY")
local prefix = os.getenv("WRK_PREFIX") or "w"
local threads = 0

function setup(thread)
   threads = threads + 1
   thread:set("tid", threads)
end

if template then
   local counter = 0
   function request()
      counter = counter + 1
      local name = string.format("%s_%d_%d", prefix, tid or 0, counter)
      local body = string.gsub(template, "%%s", name)
      return wrk.format("POST", nil, nil, body)
   end
end

-- One machine-readable line at the end (bench/server.sh parses it).
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, e.status,
      e.connect + e.read + e.write + e.timeout))
end
