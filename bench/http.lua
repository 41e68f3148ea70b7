-- wrk script for bench/http.py: POST single-query /match bodies, rotating through a file of
-- request bodies (one JSON document per line), and print the results as one JSON line.
--
--   wrk -t1 -c8 -d30s -s bench/http.lua http://127.0.0.1:8000 -- bodies.jsonl /match/default

local bodies = {}
local path = "/match/default"
local index = 0
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open the bodies file " .. tostring(args[1]))
  for line in file:lines() do
    if #line > 0 then
      bodies[#bodies + 1] = line
    end
  end
  file:close()
  if args[2] then
    path = args[2]
  end
  -- Each thread starts at a different place in the rotation.
  index = ((thread_id or 1) - 1) * math.floor(#bodies / 4)
  wrk.headers["Content-Type"] = "application/json"
  non2xx = 0
end

function request()
  index = index % #bodies + 1
  return wrk.format("POST", path, nil, bodies[index])
end

function response(status, headers, body)
  if status ~= 200 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"non_2xx": %d, "latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "max": %d, ' ..
    '"p50": %d, "p90": %d, "p99": %d, "p99_9": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, bad,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
