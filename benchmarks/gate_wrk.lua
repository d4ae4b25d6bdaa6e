-- wrk script for benchmarks/gate_bench.py: open-loop load at a fixed rate, latency from the scheduled send.
-- args: bodies-file bearers-file log-file rate mode(post|get)
-- Each request takes the next slot of a fixed schedule (delay() waits for it); the slot travels in
-- X-Request-ID, which the server echoes, so a late answer is measured from when it *should* have been sent
-- (no coordinated omission). wrk asks for a delay before every request, the first one included.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } mp_timespec;
int clock_gettime(int clk_id, mp_timespec *tp);
]]
local ts = ffi.new("mp_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local bodies, bearers, slots = {}, {}, {}
local head, tail = 1, 0
local interval, next_slot, idx, mode, log, log_path

function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  for line in io.lines(args[2]) do bearers[#bearers + 1] = line end
  log_path = args[3]
  interval = 1e6 / tonumber(args[4])
  mode = args[5]
  idx = 0
end

function delay()
  local t = now_us()
  if next_slot == nil then next_slot = t end
  local slot = next_slot
  next_slot = next_slot + interval
  tail = tail + 1
  slots[tail] = slot
  local wait_ms = (slot - t) / 1000
  if wait_ms < 0 then wait_ms = 0 end
  return wait_ms
end

function request()
  local t = now_us()
  local tag = "v"
  local sched = t
  if head <= tail then
    sched = math.min(slots[head], t)
    slots[head] = nil
    head = head + 1
    tag = "m"
  end
  if tag == "v" then
    -- wrk calls request() once in its main Lua state to check the script: nothing is sent, nothing logged.
    return wrk.format("GET", "/login")
  end
  if log == nil then
    log = io.open(log_path, "w")
    log:setvbuf("line")
  end
  idx = idx + 1
  if idx > #bodies then idx = 1 end -- only if the run outlives the bodies; verdicts will then show it
  local id = string.format("%s-%d-%.0f", tag, idx, sched)
  log:write("s ", id, "\n")
  local headers = { ["Authorization"] = "Bearer " .. bearers[(idx % #bearers) + 1], ["X-Request-ID"] = id }
  if mode == "get" then
    return wrk.format("GET", "/login", headers)
  end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/v1/gate/check", headers, bodies[idx])
end

function response(status, headers, body)
  local t = now_us()
  local id = headers["x-request-id"] or headers["X-Request-ID"] or "?"
  local reason = "-"
  if mode ~= "get" then reason = string.match(body, '"reason":"([%w_]+)"') or "-" end
  log:write("r ", id, " ", status, " ", reason, " ", string.format("%.0f", t), "\n")
end
