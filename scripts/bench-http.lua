-- wrk script of scripts/bench-http: one case per run, named by the first
-- argument after `--`.
--
--   aura-create TOKEN PROPERTY ROOMTYPE RATEPLAN GUESTS FIRSTDAY
--       POST a booking for an existing guest (GUESTS: comma-separated ids)
--       of 1-2 nights arriving on a random day of [FIRSTDAY, FIRSTDAY+700),
--       FIRSTDAY as days since 1970-01-01, with a unique Idempotency-Key.
--   aura-view TOKEN IDS        GET one reservation by id (IDS: comma-separated)
--   aura-list TOKEN PROPERTY   GET 50 reservations
--   pb-create TOKEN            POST a record of the collection "bookings"
--   pb-view TOKEN IDS          GET one record by id
--   pb-list TOKEN              GET 50 records
--
-- done() prints one line the script reads:
--   RESULT <requests/s> <p99 ms> <errors> <requests>

local mode, token
local args = {}
local ids = {}
local counter = 0
threadid = 0 -- set per thread by setup()
local threads = {}

local function split(s)
  local t = {}
  for v in string.gmatch(s or "", "[^,]+") do t[#t + 1] = v end
  return t
end

function setup(thread)
  thread:set("threadid", #threads + 1)
  threads[#threads + 1] = thread
end

local function isodate(days)
  return os.date("!%Y-%m-%d", days * 86400)
end

function init(argv)
  mode, token = argv[1], argv[2]
  for i = 3, #argv do args[#args + 1] = argv[i] end
  math.randomseed(os.time() * 1000 + threadid)
  if mode == "aura-view" or mode == "pb-view" then ids = split(args[1]) end
  if mode == "aura-create" then ids = split(args[4]) end
  wrk.headers["Content-Type"] = "application/json"
  if string.sub(mode, 1, 3) == "pb-" then
    wrk.headers["Authorization"] = token
  else
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

function request()
  counter = counter + 1
  if mode == "aura-create" then
    local first = tonumber(args[5])
    local arrival = first + math.random(0, 699)
    local departure = arrival + math.random(1, 2)
    local body = string.format(
      '{"property_id":"%s","booker":{"id":"%s"},"reservations":[{"room_type_id":"%s","rate_plan_id":"%s","arrival":"%s","departure":"%s","adults":2}]}',
      args[1], ids[math.random(#ids)], args[2], args[3], isodate(arrival), isodate(departure))
    -- wrk.format uses the headers given instead of wrk.headers: copy them.
    local headers = {}
    for k, v in pairs(wrk.headers) do headers[k] = v end
    headers["Idempotency-Key"] = string.format("wrk-%d-%d-%d", first, threadid, counter)
    return wrk.format("POST", "/bench/api/v1/bookings", headers, body)
  elseif mode == "aura-view" then
    return wrk.format("GET", "/bench/api/v1/reservations/" .. ids[math.random(#ids)])
  elseif mode == "aura-list" then
    return wrk.format("GET", "/bench/api/v1/reservations?limit=50&property_id=" .. args[1])
  elseif mode == "pb-create" then
    local arrival = 20000 + math.random(0, 699)
    local body = string.format(
      '{"guest":"guest%d","room_type":"DBL","arrival":"%s","departure":"%s","adults":2}',
      math.random(1, 2), isodate(arrival), isodate(arrival + math.random(1, 2)))
    return wrk.format("POST", "/api/collections/bookings/records", nil, body)
  elseif mode == "pb-view" then
    return wrk.format("GET", "/api/collections/bookings/records/" .. ids[math.random(#ids)])
  elseif mode == "pb-list" then
    return wrk.format("GET", "/api/collections/bookings/records?perPage=50&skipTotal=1")
  end
  error("unknown mode " .. tostring(mode))
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format("RESULT %.1f %.2f %d %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000, errors, summary.requests))
end
