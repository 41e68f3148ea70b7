-- wrk script for bench/mixed.py: one route of the mixed load, requests read from a file.
--
--   wrk -t1 -c2 -d30s -s bench/mixed.lua http://127.0.0.1:8000 -- requests.tsv
--
-- Each line of the file is one request: METHOD <tab> PATH [<tab> JSON BODY]. The lines are
-- used in turn; with "once" as the second argument each line is sent at most once (alert
-- decisions: an alert is decided once), and a thread that has used its share stops sending.
-- Prints the results as one JSON line, including the count of answers that were not 2xx.

local lines = {}
local index = 0
local last = 0
local once = false
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open the requests file " .. tostring(args[1]))
  for line in file:lines() do
    if #line > 0 then
      local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
      lines[#lines + 1] = {method, path, body ~= "" and body or nil}
    end
  end
  file:close()
  once = args[2] == "once"
  -- Threads take disjoint shares when each line may be used once, else start apart.
  local threads_total = tonumber(args[3] or "1")
  local share = math.floor(#lines / threads_total)
  index = ((thread_id or 1) - 1) * share
  last = once and index + share or math.huge
  wrk.headers["Content-Type"] = "application/json"
  non2xx = 0
  statuses = {}
  exhausted = 0
end

function request()
  if index >= last then
    -- Every alert of this thread's share is decided: ask for the queue instead, counted apart.
    exhausted = exhausted + 1
    return wrk.format("GET", "/healthz")
  end
  index = index % #lines + 1
  local item = lines[index]
  return wrk.format(item[1], item[2], nil, item[3])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad, spent = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    spent = spent + (thread:get("exhausted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"non_2xx": %d, "exhausted": %d, "latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, ' ..
    '"max": %d, "p50": %d, "p90": %d, "p99": %d, "p99_9": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, bad, spent,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
