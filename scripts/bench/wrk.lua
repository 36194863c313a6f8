-- Load script for wrk, written for scripts/bench/load.py.
-- Arguments (after `--`): a file of "<path> <api key>" lines, and the request budget per thread.
-- Each thread walks the list round robin from its own offset; when a thread has had its
-- budget of responses it stops, and it interrupts wrk (SIGINT, as Ctrl-C would) so the run
-- ends at the budget instead of idling out the -d time limit. `done` prints one JSON line.
local ffi = require("ffi")
ffi.cdef [[
  int kill(int pid, int sig);
  int getpid(void);
]]
local SIGINT = 2

local threads = {}
local next_thread_id = 0

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
  table.insert(threads, thread)
end

local requests = {}
local position = 0
local budget = 0
local answered = 0
-- A global, not a local: `done` reads it from each thread with thread:get.
failed = 0

function init(args)
  for line in io.lines(args[1]) do
    local path, key = line:match("^(%S+)%s+(%S+)$")
    if path then
      table.insert(requests, wrk.format("GET", path, { ["Authorization"] = "Bearer " .. key }))
    end
  end
  budget = tonumber(args[2])
  position = (thread_id * 7919) % #requests
end

function request()
  position = position % #requests + 1
  return requests[position]
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 then
    failed = failed + 1
  end
  if answered == budget then
    wrk.thread:stop()
    ffi.C.kill(ffi.C.getpid(), SIGINT)
  end
end

function done(summary, latency, requests)
  local not_ok = 0
  for _, thread in ipairs(threads) do
    not_ok = not_ok + thread:get("failed")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "not_200": %d, "connect_errors": %d, '
      .. '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %.1f, '
      .. '"p95_us": %.1f, "p99_us": %.1f, "max_us": %.1f, "mean_us": %.1f}\n',
    summary.requests, summary.duration, not_ok, errors.connect, errors.read, errors.write,
    errors.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
