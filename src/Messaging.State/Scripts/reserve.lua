-- Reserves a service's name, a host port, its share of the owner's quota and of the host budget, atomically.
-- The reservation lock is taken on entry and released (compare-and-delete) before returning, so a holder
-- of that lock outside a script (an operator's repair) pauses reservations; ours never outlives the script.
-- Idempotent per service id: a service that holds a port gets it back (unless it is @refusedPort, which the
-- engine refused: that one is given up and blocked for @blockMs first).
-- Returns {'reserved', port} | {'name_taken'} | {'exhausted'} | {'quota', 'services'|'memory'|'cpus'}
-- | {'host', 'memory'|'cpus'} (the host budget, @hostMaxMemoryBytes/@hostMaxMilliCpus, -1 = none) | {'locked'}.
if not redis.call('SET', @lock, @token, 'NX', 'PX', @lockTtlMs) then return {'locked'} end

local function reserve()
  local id, name = @serviceId, @name
  local now = tonumber(@now)
  redis.call('ZREMRANGEBYSCORE', @blocked, '-inf', now)
  local holder = redis.call('HGET', @names, name)
  if holder and holder ~= id then return {'name_taken'} end
  local current = redis.call('HGET', @servicePorts, id)
  if current and current == @refusedPort then
    redis.call('ZADD', @blocked, now + tonumber(@blockMs), current)
    if redis.call('HGET', @ports, current) == id then redis.call('HDEL', @ports, current) end
    redis.call('HDEL', @servicePorts, id)
    current = false
  end
  if current then
    redis.call('HSET', @names, name, id)
    return {'reserved', current}
  end
  local counted = redis.call('HEXISTS', @serviceUsage, id) == 1
  local memory, millicpus = tonumber(@memoryBytes), tonumber(@milliCpus)
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
  local min, max, start = tonumber(@min), tonumber(@max), tonumber(@start)
  local span = max - min + 1
  for i = 0, span - 1 do
    local port = min + ((start - min + i) % span)
    if redis.call('HEXISTS', @ports, port) == 0 and not redis.call('ZSCORE', @blocked, port) then
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
      return {'reserved', tostring(port)}
    end
  end
  return {'exhausted'}
end

local result = reserve()
if redis.call('GET', @lock) == @token then redis.call('DEL', @lock) end
return result
