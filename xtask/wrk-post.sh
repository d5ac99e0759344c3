#!/bin/sh
# Sourced by xtask/bench-serve.sh and xtask/bench-engines.sh: `post_lua FILE KEY_FILE PREFIX` writes the wrk script
# that submits applications as the core banking system whose key is in KEY_FILE, each with a request id of its own
# (PREFIX, the optional second script argument, the thread and a counter), pausing an exponentially distributed
# time of the mean given as the first script argument (whole milliseconds; 0 for none) after each response.
post_lua() {
    cat >"$1" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $(cat "$2")"
local n = 0
local thread_id = 0
local pause = 0
local prefix = "$3"
init = function(args)
  if args[1] then pause = tonumber(args[1]) end
  if args[2] then prefix = prefix .. "-" .. args[2] end
  math.randomseed(os.time() + tid * 7919)
end
delay = function()
  if pause == 0 then return 0 end
  return math.floor(-math.log(1 - math.random()) * pause + 0.5)
end
setup = function(thread) thread:set("tid", thread_id); thread_id = thread_id + 1 end
request = function()
  n = n + 1
  local household = string.format("H%07d", (n % 400) + 1)
  local body = string.format('{"request_id": "%s-%d-%d", "application_id": "A%d", "household_id": "%s", '
    .. '"applied_on": "2025-10-05", "product": "crop", "purpose": "crop-inputs", "amount_yuan": "7400.00", '
    .. '"term_months": 9}', prefix, tid, n, n, household)
  return wrk.format(nil, "/v1/applications", nil, body)
end
LUA
}
