-- Times every request itself (wall clock around each request/response pair of the single connection) and
-- prints percentiles of those raw times; used with -t1 -c1, where requests never overlap.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } timespec_t;
int clock_gettime(int clk_id, timespec_t *tp);
]]
local ts = ffi.new("timespec_t")
local function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
times, n = {}, 0
local started
request = function()
  started = now_us()
  return wrk.format()
end
response = function(status, headers, body)
  n = n + 1
  times[n] = now_us() - started
end
done = function(summary, latency, requests)
  local times, n = threads[1]:get("times"), threads[1]:get("n")
  table.sort(times)
  local function pct(p) return times[math.max(1, math.ceil(n * p / 100))] / 1000 end
  io.write(string.format("seq %.0f %.3f %.3f %.3f %d\n", summary.requests / (summary.duration / 1e6),
    pct(50), pct(99), pct(99.9), n))
end
