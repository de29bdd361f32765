-- loopback.lua: wrk's requests for loopback.sh, as a browser or an API
-- client sends them: a path with a query string and the usual headers, every
-- other request carrying an incoming trace (a parent) in the format named by
-- the script's first argument: jaeger (uber-trace-id), b3 (X-B3-*) or w3c
-- (traceparent). The second argument is the fraction of those parents that
-- their caller sampled (1 by default): at 0.01, one parent in 100 is sampled
-- and the other 99 are not, as a caller sampling 1% sends them.
local requests = {}
local plain
local i = 0

function init(args)
  local path = "/items/42?page=2&sort=price"
  local headers = {
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    ["Accept"] = "application/json, text/plain, */*",
    ["Accept-Encoding"] = "gzip, deflate, br",
    ["Accept-Language"] = "en-US,en;q=0.9",
  }
  local format = args[1] or "w3c"
  local fraction = tonumber(args[2] or "1")
  local n = 1
  if fraction > 0 and fraction < 1 then n = math.floor(1 / fraction + 0.5) end
  plain = wrk.format("GET", path, headers)
  for k = 1, n do
    local sampled = k == 1
    local parent = {}
    for h, v in pairs(headers) do parent[h] = v end
    if format == "jaeger" then
      parent["Uber-Trace-Id"] = "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:" .. (sampled and "1" or "0")
    elseif format == "b3" then
      parent["X-B3-TraceId"] = "4bf92f3577b34da6a3ce929d0e0e4736"
      parent["X-B3-SpanId"] = "00f067aa0ba902b7"
      parent["X-B3-Sampled"] = sampled and "1" or "0"
    else
      parent["Traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-" .. (sampled and "01" or "00")
    end
    requests[k] = wrk.format("GET", path, parent)
  end
end

-- request alternates a request without a parent and the next parent's.
function request()
  i = i + 1
  if i % 2 == 1 then return plain end
  return requests[(i / 2 - 1) % #requests + 1]
end
