-- Reserves a host port for a new warm pool member (issue 20), within the pool budget, atomically.
-- The port is held in @ports under 'pool:<member id>' (never in the service-ports hash: a member is no service, and the
-- reconciler releases service reservations without a container). The member is counted in @members (the budget:
-- every member not yet claimed, being created or idle) and described in @member (pool, port, state 'warming').
-- Takes the reservation lock like reserve.lua. Returns {'reserved', port} | {'budget'} | {'exhausted'} | {'locked'}.
if not redis.call('SET', @lock, @token, 'NX', 'PX', @lockTtlMs) then return {'locked'} end

local function reserve()
  if redis.call('SCARD', @members) >= tonumber(@budget) then return {'budget'} end
  local now = tonumber(@now)
  redis.call('ZREMRANGEBYSCORE', @blocked, '-inf', now)
  local min, max, start = tonumber(@min), tonumber(@max), tonumber(@start)
  local span = max - min + 1
  for i = 0, span - 1 do
    local port = min + ((start - min + i) % span)
    if redis.call('HEXISTS', @ports, port) == 0 and not redis.call('ZSCORE', @blocked, port) then
      redis.call('HSET', @ports, port, 'pool:' .. @memberId)
      redis.call('SADD', @members, @memberId)
      redis.call('HSET', @member, 'pool', @pool, 'port', port, 'state', 'warming', 'since', @now)
      return {'reserved', tostring(port)}
    end
  end
  return {'exhausted'}
end

local result = reserve()
if redis.call('GET', @lock) == @token then redis.call('DEL', @lock) end
return result
