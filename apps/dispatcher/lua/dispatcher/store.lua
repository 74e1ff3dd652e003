-- kube-edge dispatcher: the upstream membership the controller pushed, in the shared dict
-- `dispatcher_backends` (lua_shared_dict, shared by every worker and kept across reloads).
--
-- The wire format is plain text, one record a line, and nothing in it is ever run as code:
--
--   upstream <name>                   a proxy_pass upstream name: [A-Za-z0-9_.-], at most 128
--   server <ip> <port> <weight>       a member of the upstream above: an IPv4 or IPv6 address,
--                                     a port 1-65535, a weight 1-1000000
--   hash <hex>                        optional: the controller's hash of the whole set
--
-- A body is validated as a whole before any of it is stored: one bad line and nothing changes.
local _M = {}

local DICT = 'dispatcher_backends'
_M.MAX_UPSTREAMS = 20000
_M.MAX_SERVERS = 200000
_M.MAX_WEIGHT = 1000000

local function valid_ipv4(s)
  local a, b, c, d = s:match('^(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)$')
  if not a then return false end
  for _, o in ipairs({ a, b, c, d }) do
    if tonumber(o) > 255 then return false end
  end
  return true
end

-- The number of 1-4 hex digit groups in a ':'-separated part ('' has none), or nil.
local function hex_groups(part)
  if part == '' then return 0 end
  local n = 0
  for group in (part .. ':'):gmatch('([^:]*):') do
    if not group:match('^%x%x?%x?%x?$') then return nil end
    n = n + 1
  end
  return n
end

-- Every textual IPv6 form (RFC 4291 2.2) without a zone, as the controller accepts them: eight
-- groups, or fewer with one '::' (at either end too), the last two may be a dotted IPv4.
local function valid_ipv6(s)
  if #s < 2 or #s > 45 then return false end
  if s:find('.', 1, true) then
    local head, v4 = s:match('^(.*:)([%d.]+)$')
    if not head or not valid_ipv4(v4) then return false end
    s = head .. '0:0'
  end
  if not s:match('^[%x:]+$') then return false end
  local a, b = s:find('::', 1, true)
  if not a then return hex_groups(s) == 8 end
  if s:find('::', a + 1, true) then return false end
  local left, right = hex_groups(s:sub(1, a - 1)), hex_groups(s:sub(b + 1))
  return left ~= nil and right ~= nil and left + right <= 7
end

local function int_in(s, lo, hi)
  if not s or not s:match('^%d+$') or #s > 7 then return nil end
  local n = tonumber(s)
  if n < lo or n > hi then return nil end
  return n
end

-- Parses and validates a body. Returns { names = {...}, upstreams = { name = canonical }, hash }
-- or nil and a reason naming the line.
function _M.parse(body)
  local names, upstreams, seen = {}, {}, {}
  local current, lines, hash = nil, nil, ''
  local servers, n = 0, 0
  local function finish()
    if current then upstreams[current] = table.concat(lines, '\n') end
  end
  for line in (body .. '\n'):gmatch('([^\n]*)\n') do
    n = n + 1
    if line == '' then
      -- blank lines are allowed
    else
      local kind, a, b, c, extra = line:match('^(%l+) ?(%S*) ?(%S*) ?(%S*)(.*)$')
      if not kind or extra ~= '' then return nil, 'line ' .. n .. ': not a record' end
      if kind == 'upstream' then
        if b ~= '' or not a:match('^[A-Za-z0-9_.-]+$') or #a > 128 then
          return nil, 'line ' .. n .. ': invalid upstream name'
        end
        if seen[a] then return nil, 'line ' .. n .. ': duplicate upstream' end
        finish()
        if #names >= _M.MAX_UPSTREAMS then return nil, 'too many upstreams' end
        seen[a] = true
        names[#names + 1] = a
        current, lines = a, {}
      elseif kind == 'server' then
        if not current then return nil, 'line ' .. n .. ': server before any upstream' end
        if not (valid_ipv4(a) or valid_ipv6(a)) then return nil, 'line ' .. n .. ': invalid address' end
        local port = int_in(b, 1, 65535)
        if not port then return nil, 'line ' .. n .. ': invalid port' end
        local weight = int_in(c, 1, _M.MAX_WEIGHT)
        if not weight then return nil, 'line ' .. n .. ': invalid weight' end
        servers = servers + 1
        if servers > _M.MAX_SERVERS then return nil, 'too many servers' end
        lines[#lines + 1] = a .. ' ' .. port .. ' ' .. weight
      elseif kind == 'hash' then
        if b ~= '' or not a:match('^%x+$') or #a > 64 then return nil, 'line ' .. n .. ': invalid hash' end
        hash = a
      else
        return nil, 'line ' .. n .. ': unknown record'
      end
    end
  end
  finish()
  return { names = names, upstreams = upstreams, hash = hash }
end

-- Replaces the whole membership with a parsed body. Returns true, or nil and an error (the dict
-- is full): the controller then falls back to a reload with the members in the config.
function _M.store(parsed)
  local dict = ngx.shared[DICT]
  local old = dict:get('names') or ''
  for name in old:gmatch('[^\n]+') do
    if parsed.upstreams[name] == nil then dict:delete('u:' .. name) end
  end
  for _, name in ipairs(parsed.names) do
    local ok, err = dict:safe_set('u:' .. name, parsed.upstreams[name])
    if not ok then return nil, err end
  end
  local ok, err = dict:safe_set('names', table.concat(parsed.names, '\n'))
  if not ok then return nil, err end
  ok, err = dict:safe_set('hash', parsed.hash)
  if not ok then return nil, err end
  dict:incr('version', 1, 0)
  return true
end

-- The canonical members of one upstream ("ip port weight" lines), or nil.
function _M.members(name)
  return ngx.shared[DICT]:get('u:' .. name)
end

-- The number of pushes stored so far (every push increments it), or nil before the first.
function _M.version()
  return ngx.shared[DICT]:get('version')
end

-- What is stored: { hash, version, upstreams } for the GET of the endpoint.
function _M.summary()
  local dict = ngx.shared[DICT]
  local names = dict:get('names') or ''
  local count = 0
  for _ in names:gmatch('[^\n]+') do count = count + 1 end
  return dict:get('hash') or '', dict:get('version') or 0, count
end

return _M
