-- Claims the oldest idle member of a pool for a service and moves the member's port reservation to it,
-- with the service's name and its share of the owner's quota and the host budget, in one atomic step
-- (the same checks as reserve.lua). Idempotent per service: a service that claimed a member gets the same one.
-- A service already holding a port (an earlier cold attempt of its command) claims nothing: it stays cold.
-- Returns {'claimed', memberId, containerId, port} | {'empty'} | {'has_port'} | {'name_taken'} | {'quota', what}
-- | {'host', what} | {'locked'}.
if not redis.call('SET', @lock, @token, 'NX', 'PX', @lockTtlMs) then return {'locked'} end

local function claim()
  local id, name = @serviceId, @name
  local earlier = redis.call('GET', @claim)
  if earlier then
    local m = @memberPrefix .. earlier
    return {'claimed', earlier, redis.call('HGET', m, 'container_id'), redis.call('HGET', m, 'port')}
  end
  if redis.call('HEXISTS', @servicePorts, id) == 1 then return {'has_port'} end
  local holder = redis.call('HGET', @names, name)
  if holder and holder ~= id then return {'name_taken'} end
  local memory, millicpus = tonumber(@memoryBytes), tonumber(@milliCpus)
  local counted = redis.call('HEXISTS', @serviceUsage, id) == 1
  if not counted then
    local usage = redis.call('HMGET', @usage, 'services', 'memory_bytes', 'millicpus')
    local services, used_memory, used_cpus = tonumber(usage[1] or '0'), tonumber(usage[2] or '0'), tonumber(usage[3] or '0')
    local max_services, max_memory, max_cpus = tonumber(@maxServices), tonumber(@maxMemoryBytes), tonumber(@maxMilliCpus)
    if max_services >= 0 and services + 1 > max_services then return {'quota', 'services'} end
    if max_memory >= 0 and used_memory + memory > max_memory then return {'quota', 'memory'} end
    if max_cpus >= 0 and used_cpus + millicpus > max_cpus then return {'quota', 'cpus'} end
    local host = redis.call('HMGET', @hostUsage, 'memory_bytes', 'millicpus')
    local host_memory, host_cpus = tonumber(host[1] or '0'), tonumber(host[2] or '0')
    local host_max_memory, host_max_cpus = tonumber(@hostMaxMemoryBytes), tonumber(@hostMaxMilliCpus)
    if host_max_memory >= 0 and host_memory + memory > host_max_memory then return {'host', 'memory'} end
    if host_max_cpus >= 0 and host_cpus + millicpus > host_max_cpus then return {'host', 'cpus'} end
  end
  local popped = redis.call('ZPOPMIN', @idle)
  if #popped == 0 then return {'empty'} end
  local memberId = popped[1]
  local m = @memberPrefix .. memberId
  local port = redis.call('HGET', m, 'port')
  local containerId = redis.call('HGET', m, 'container_id')
  redis.call('HSET', @ports, port, id)
  redis.call('HSET', @servicePorts, id, port)
  redis.call('HSET', @names, name, id)
  if not counted then
    redis.call('HINCRBY', @usage, 'services', 1)
    redis.call('HINCRBY', @usage, 'memory_bytes', memory)
    redis.call('HINCRBY', @usage, 'millicpus', millicpus)
    redis.call('HSET', @serviceUsage, id, @owner .. ' ' .. memory .. ' ' .. millicpus)
    redis.call('HINCRBY', @hostUsage, 'memory_bytes', memory)
    redis.call('HINCRBY', @hostUsage, 'millicpus', millicpus)
  end
  -- No longer the pool's: out of its budget, and its description kept only for this service's redeliveries.
  redis.call('SREM', @members, memberId)
  redis.call('HSET', m, 'state', 'claimed', 'claimed_by', id)
  redis.call('PEXPIRE', m, @claimTtlMs)
  redis.call('SET', @claim, memberId, 'PX', @claimTtlMs)
  return {'claimed', memberId, containerId, port}
end

local result = claim()
if redis.call('GET', @lock) == @token then redis.call('DEL', @lock) end
return result
