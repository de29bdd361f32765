-- loopback.lua: wrk's requests for loopback.sh, as a browser or an API
-- client sends them: a path with a query string and the usual headers, every
-- other request carrying an incoming trace (a parent) in the format named by
-- the script's argument: jaeger (uber-trace-id), b3 (X-B3-*) or w3c
-- (traceparent).
local requests = {}
local i = 0

function init(args)
  local path = "/items/42?page=2&sort=price"
  local plain = {
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    ["Accept"] = "application/json, text/plain, */*",
    ["Accept-Encoding"] = "gzip, deflate, br",
    ["Accept-Language"] = "en-US,en;q=0.9",
  }
  local parent = {}
  for k, v in pairs(plain) do parent[k] = v end
  local format = args[1] or "w3c"
  if format == "jaeger" then
    parent["Uber-Trace-Id"] = "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1"
  elseif format == "b3" then
    parent["X-B3-TraceId"] = "4bf92f3577b34da6a3ce929d0e0e4736"
    parent["X-B3-SpanId"] = "00f067aa0ba902b7"
    parent["X-B3-Sampled"] = "1"
  else
    parent["Traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
  end
  requests[1] = wrk.format("GET", path, plain)
  requests[2] = wrk.format("GET", path, parent)
end

function request()
  i = 1 - i
  return requests[i + 1]
end
