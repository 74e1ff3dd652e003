-- kube-edge dispatcher: balancer_by_lua_file of every pod upstream. Picks a member of the
-- upstream named by proxy_pass from what the controller pushed (store.lua), by smooth weighted
-- round robin (nginx's own algorithm for `server ... weight=N`), and keeps nginx's passive
-- health rule: a member that fails MAX_FAILS times within FAIL_TIMEOUT seconds is left out for
-- FAIL_TIMEOUT seconds (nginx's defaults max_fails=1 fail_timeout=10s, which the reload mode's
-- `server` lines use); when every member is out, all are tried again, as nginx does.
-- State is per worker. The parsed members are cached per worker with the dict's `version` (which
-- every push increments): a request reads that number, and re-reads an upstream's members only
-- when it changed, so a push is served by the next request without copying every member string
-- out of the dict on every request.
-- A try's failure is counted by the next try's balancer call (get_last_failure) or, for the
-- last try (no retry follows: tries exhausted, or a request body already sent unbuffered), by
-- log() in the log phase, so every failure counts as with nginx's own `max_fails`.
local _M = {}
local balancer = require('ngx.balancer')
local store = require('dispatcher.store')

local MAX_FAILS = 1
local FAIL_TIMEOUT = 10

-- upstream name -> { src = canonical string, version = dict version it was checked at,
--                    peers = { { ip, port, weight, current, key } } }
local upstreams = {}
-- upstream name -> member key ("ip port") -> { fails, failed_at }: survives membership changes
local health = {}

local function build(name, src, version)
  local peers, total = {}, 0
  for ip, port, weight in src:gmatch('(%S+) (%d+) (%d+)') do
    local w = tonumber(weight)
    -- set_current_peer parses the host as nginx parses a URL: an IPv6 address needs brackets
    local host = ip:find(':', 1, true) and ('[' .. ip .. ']') or ip
    peers[#peers + 1] = { ip = host, port = tonumber(port), weight = w, current = 0, key = ip .. ' ' .. port }
    total = total + w
  end
  local u = { src = src, version = version, peers = peers }
  upstreams[name] = u
  -- forget the health of members that left
  local h = health[name]
  if h then
    local keep = {}
    for _, p in ipairs(peers) do keep[p.key] = h[p.key] end
    health[name] = keep
  end
  return u
end

local function current(name)
  -- the version first: a push between the two reads leaves a newer version, so the next
  -- request reads the members again
  local version = store.version()
  local u = upstreams[name]
  if u and version and u.version == version then return u end
  local src = store.members(name)
  if not src then
    upstreams[name] = nil
    return nil
  end
  if u and u.src == src then
    u.version = version
    return u
  end
  return build(name, src, version)
end

local function available(h, peer, now)
  local s = h[peer.key]
  if not s or s.fails < MAX_FAILS then return true end
  if now - s.failed_at >= FAIL_TIMEOUT then
    s.fails = 0
    return true
  end
  return false
end

local function pick(u, h, tried, now, ignore_health)
  local best, total = nil, 0
  for _, p in ipairs(u.peers) do
    if not tried[p.key] and (ignore_health or available(h, p, now)) then
      p.current = p.current + p.weight
      total = total + p.weight
      if not best or p.current > best.current then best = p end
    end
  end
  if best then best.current = best.current - total end
  return best
end

local function record_failure(name, peer, now)
  local h = health[name]
  if not h then
    h = {}
    health[name] = h
  end
  local s = h[peer.key]
  if not s or now - s.failed_at >= FAIL_TIMEOUT then
    s = { fails = 0, failed_at = now }
    h[peer.key] = s
  end
  s.fails = s.fails + 1
  s.failed_at = now
end

-- Picks the member of upstream `name` for this try and sets it (balancer_by_lua of that
-- upstream; the name is in the rendered config, since no variable names the upstream there).
function _M.balance(name)
  local u = name and current(name)
  if not u or #u.peers == 0 then
    -- nginx answers 500 (only when nginx lost its membership: the next pass re-seeds it)
    ngx.log(ngx.WARN, 'dispatcher: no members for upstream ', name)
    return ngx.exit(ngx.ERROR)
  end
  local now = ngx.now()
  local ctx = ngx.ctx
  local state = ctx.dispatcher_balancer
  if state then
    -- a retry (proxy_next_upstream): count the failure of the member just tried
    local status = balancer.get_last_failure()
    if status == 'failed' and #u.peers > 1 then record_failure(name, state.peer, now) end
  else
    state = { tried = {}, name = name }
    ctx.dispatcher_balancer = state
    if #u.peers > 1 then balancer.set_more_tries(#u.peers - 1) end
  end
  local h = health[name] or {}
  local peer = pick(u, h, state.tried, now, false) or pick(u, h, state.tried, now, true)
  if not peer then return ngx.exit(ngx.ERROR) end
  state.tried[peer.key] = true
  state.peer = peer
  state.multi = #u.peers > 1
  local ok, err = balancer.set_current_peer(peer.ip, peer.port)
  if not ok then
    ngx.log(ngx.ERR, 'dispatcher: set_current_peer failed: ', err)
    return ngx.exit(ngx.ERROR)
  end
end

-- The last entry of an upstream variable ("a, b : c": tries are separated by ", ", internal
-- redirects by " : "; an entry has no space, an IPv6 address is in brackets).
local function last_entry(v)
  return v and v:match('([^ ]+)$')
end

-- The log phase of every request (log_by_lua at http level): when this request's last try went
-- to a member the balancer picked and failed as nginx counts a failure (the proxy_next_upstream
-- default `error timeout` and an invalid header: 502 or 504 with no response header received),
-- the member is marked failed as if a retry had seen it. Earlier tries were counted by the
-- balancer call of the try after them.
function _M.log()
  local state = ngx.ctx.dispatcher_balancer
  if not state or not state.peer or not state.multi then return end
  local vars = ngx.var
  local status = last_entry(vars.upstream_status)
  if status ~= '502' and status ~= '504' then return end
  if last_entry(vars.upstream_header_time) ~= '-' then return end
  record_failure(state.name, state.peer, ngx.now())
end

return _M
