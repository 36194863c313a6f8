-- Load script for wrk, written for scripts/bench/load.py (the file format is scripts/bench/mix.py's).
-- Arguments (after `--`): the plan file, the request budget per thread, where to write what
-- each thread saw (`<that path>.<thread id>`), and the number of threads.
--
-- The plan file has `share <kind> <weight>` lines (how often each kind is drawn) and
-- `request <kind> <method> <path> <api key> [<json body>]` lines (what to send for it). Each
-- request draws a kind by weight (a seeded generator per thread), then takes that kind's next
-- request round robin. The `write` kind alternates per thread: a sign-up from the `signup`
-- requests, then the withdrawal of the sign-up it created (DELETE, with the id from the 201
-- body). Sign-up requests are split between threads, so a member is only ever written by one
-- thread and has at most one place at a time: writes succeed unless the data refuses them.
--
-- load.py runs one connection per thread, so a thread's requests and responses strictly
-- alternate: the time from `request` to `response` is that request's latency, and the kind of
-- the last request is the kind of the response. When a thread has had its budget of responses
-- it stops and interrupts wrk (SIGINT, as Ctrl-C would), so the run ends at the budget.
-- Each thread writes `<kind> <status> <microseconds>` per answer, `hold <need id> <sign-up id>`
-- when a sign-up succeeds and `release <sign-up id>` when it is withdrawn; `done` prints
-- wrk's own totals and percentiles over every request as one JSON line.
local ffi = require("ffi")
ffi.cdef [[
  int kill(int pid, int sig);
  int getpid(void);
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *now);
]]
local SIGINT = 2
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local threads = {}
local next_thread_id = 0

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
  table.insert(threads, thread)
end

local shares = {} -- { kind, cumulative weight } in file order, kinds with requests only
local total_weight = 0
local requests = {} -- kind -> list of prepared requests
local positions = {} -- kind -> last position taken
local signups = {} -- this thread's { need_id, key, request }
local signup_position = 0
local pending = nil -- the sign-up to withdraw next: { need_id, key, signup_id }
local budget = 0
local answered = 0
local sent_kind = nil
local sent_at = 0
local sent_signup = nil
local withdrawing = nil -- the id of the sign-up the last request withdrew

-- A global, not a local: `done` reads it from each thread with thread:get (which copies
-- numbers and strings safely, but not nested tables: hence the per-thread file below).
failed = 0
local log = nil -- this thread's file: one line per answer, and the places it holds

local function headers(key, with_body)
  local found = { ["Authorization"] = "Bearer " .. key }
  if with_body then
    found["Content-Type"] = "application/json"
  end
  return found
end

function init(args)
  local all_signups = {}
  local weights = {}
  for line in io.lines(args[1]) do
    local kind, weight = line:match("^share%s+(%S+)%s+(%S+)$")
    if kind then
      table.insert(weights, { kind, tonumber(weight) })
    else
      local method, path, key, body
      kind, method, path, key, body = line:match("^request%s+(%S+)%s+(%S+)%s+(%S+)%s+(%S+)%s*(.*)$")
      if kind == "signup" then
        local need_id = path:match("^/v1/needs/([^/]+)/signups$")
        table.insert(all_signups, { need_id, key, wrk.format(method, path, headers(key, true), body) })
      elseif kind then
        requests[kind] = requests[kind] or {}
        local has_body = body ~= nil and body ~= ""
        table.insert(requests[kind], wrk.format(method, path, headers(key, has_body), has_body and body or nil))
      end
    end
  end
  local thread_count = tonumber(args[4] or "1")
  if #all_signups >= thread_count then
    for index, signup in ipairs(all_signups) do
      if (index - 1) % thread_count == thread_id then
        table.insert(signups, signup)
      end
    end
  else
    -- Fewer sign-ups than threads: share them (a member may then be refused a second place).
    signups = all_signups
    signup_position = thread_id % math.max(#all_signups, 1)
  end
  for kind, list in pairs(requests) do
    positions[kind] = (thread_id * 7919) % #list
  end
  for _, share in ipairs(weights) do
    local kind, weight = share[1], share[2]
    local has_requests = (kind == "write" and #signups > 0) or requests[kind] ~= nil
    if has_requests and weight > 0 then
      total_weight = total_weight + weight
      table.insert(shares, { kind, total_weight })
    end
  end
  budget = tonumber(args[2])
  -- Buffered by stdio and flushed when wrk exits: a write per answer costs next to nothing.
  log = assert(io.open(args[3] .. "." .. thread_id, "w"))
  math.randomseed(1000003 * (thread_id + 1))
end

local function draw()
  local point = math.random() * total_weight
  for _, share in ipairs(shares) do
    if point < share[2] then
      return share[1]
    end
  end
  return shares[#shares][1]
end

local function next_of(kind)
  local list = requests[kind]
  positions[kind] = positions[kind] % #list + 1
  return list[positions[kind]]
end

function request()
  local kind = draw()
  sent_signup, withdrawing = nil, nil
  if kind == "write" then
    if pending ~= nil then
      kind = "withdraw"
      local path = "/v1/needs/" .. pending[1] .. "/signups/" .. pending[3]
      sent_kind, sent_at = kind, now_us()
      local built = wrk.format("DELETE", path, headers(pending[2], false))
      withdrawing = pending[3]
      pending = nil
      return built
    end
    signup_position = signup_position % #signups + 1
    sent_signup = signups[signup_position]
    sent_kind, sent_at = "signup", now_us()
    return sent_signup[3]
  end
  sent_kind, sent_at = kind, now_us()
  return next_of(kind)
end

function response(status, headers, body)
  log:write(sent_kind, " ", status, " ", string.format("%.1f", now_us() - sent_at), "\n")
  if status < 200 or status >= 300 then
    failed = failed + 1
  end
  if sent_signup ~= nil and status == 201 then
    local signup_id = body:match('"id"%s*:%s*"([^"]+)"')
    if signup_id then
      pending = { sent_signup[1], sent_signup[2], signup_id }
      log:write("hold ", pending[1], " ", signup_id, "\n")
    end
  elseif withdrawing ~= nil and status >= 200 and status < 300 then
    log:write("release ", withdrawing, "\n")
  end
  answered = answered + 1
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
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "not_2xx": %d, "connect_errors": %d, '
      .. '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %.1f, '
      .. '"p95_us": %.1f, "p99_us": %.1f, "max_us": %.1f, "mean_us": %.1f}\n',
    summary.requests, summary.duration, not_ok, errors.connect, errors.read, errors.write,
    errors.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
