-- kube-edge dispatcher: the membership endpoint (content_by_lua_file of a server that listens
-- only on 127.0.0.1). POST replaces the whole membership with a validated body (see store.lua);
-- GET says what is stored. Nothing received is ever run as code.
local store = require('dispatcher.store')

local MAX_BODY = 8 * 1024 * 1024

local function reply(status, text)
  ngx.status = status
  ngx.header['Content-Type'] = 'text/plain'
  ngx.say(text)
  return ngx.exit(status)
end

local method = ngx.req.get_method()
if method == 'GET' then
  local hash, version, upstreams = store.summary()
  return reply(200, 'hash ' .. hash .. '\nversion ' .. version .. '\nupstreams ' .. upstreams)
end
if method ~= 'POST' then return reply(405, 'method not allowed') end

local length = tonumber(ngx.var.content_length or '')
if not length then return reply(411, 'length required') end
if length > MAX_BODY then return reply(413, 'body too large') end
ngx.req.read_body()
local body = ngx.req.get_body_data()
if not body then
  local file = ngx.req.get_body_file()
  if file then
    local f = io.open(file, 'rb')
    if f then
      body = f:read(MAX_BODY + 1)
      f:close()
    end
  end
end
-- A body that could not be read whole (e.g. a temp file the worker cannot open) is refused:
-- storing what was read would replace the membership with a partial or empty one.
if not body or #body ~= length then return reply(400, 'body not read whole') end
if #body > MAX_BODY then return reply(413, 'body too large') end

local parsed, reason = store.parse(body)
if not parsed then
  ngx.log(ngx.WARN, 'dispatcher: membership refused: ', reason)
  return reply(400, reason)
end
local ok, err = store.store(parsed)
if not ok then
  ngx.log(ngx.ERR, 'dispatcher: membership not stored: ', err)
  return reply(507, 'not stored: ' .. tostring(err))
end
local hash, version = store.summary()
return reply(200, 'hash ' .. hash .. '\nversion ' .. version)
