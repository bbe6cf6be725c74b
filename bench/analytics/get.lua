-- wrk script of bench/analytics.sh: GET requests to the analytics API with the client's API key.
-- Environment: AB_KEY (X-API-Key), AB_PATH (path and query; "{from}" / "{to}" become a random 7-day
-- period of AB_YEAR, "{week}" a random ISO week AB_YEAR-W01..W52), AB_YEAR (2026), AB_SEED.
-- Prints one line: ABRESULT requests=… rps=… p50_ms=… p90_ms=… p99_ms=… max_ms=… non2xx=… err_*=…
local path = os.getenv("AB_PATH")
local year = tonumber(os.getenv("AB_YEAR") or "2026")
local seed = tonumber(os.getenv("AB_SEED") or "42")
wrk.headers["X-API-Key"] = os.getenv("AB_KEY")
wrk.headers["Accept"] = "application/json"

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(seed + (id or 0) * 7919)
end

function request()
  local p = path
  if p:find("{from}", 1, true) then
    -- noon UTC of a day of the year, so no clock change moves the date
    local t = os.time{year = year, month = 1, day = 1 + math.random(0, 364 - 6), hour = 12}
    p = p:gsub("{from}", os.date("!%Y-%m-%d", t)):gsub("{to}", os.date("!%Y-%m-%d", t + 6 * 86400))
  end
  if p:find("{week}", 1, true) then
    p = p:gsub("{week}", string.format("%d-W%02d", year, math.random(2, 52)))
  end
  return wrk.format("GET", p)
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "ABRESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_ms=%.2f " ..
    "non2xx=%d err_connect=%d err_read=%d err_write=%d err_timeout=%d bytes=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000, e.status, e.connect, e.read, e.write, e.timeout, summary.bytes))
end
