-- Reserves a whole stack at once: every member's name and its share of the owner's quota and of the host budget,
-- and a host port for the public member (if any), or nothing at all. Same lock protocol as reserve.lua.
-- @members is JSON: [{"id": "<service id>", "name": "<service name>", "memory": "<bytes>", "millicpus": "<n>",
-- "public": true|false}, ...]. Idempotent per member: a member that holds its name (and port) keeps them and is
-- not counted twice, so a redelivered command gets the same port back.
-- Returns {'reserved', port|''} | {'name_taken', name} | {'quota', 'services'|'memory'|'cpus'}
-- | {'host', 'memory'|'cpus'} | {'exhausted'} | {'locked'}.
if not redis.call('SET', @lock, @token, 'NX', 'PX', @lockTtlMs) then return {'locked'} end

local function reserve()
  local members = cjson.decode(@members)
  local now = tonumber(@now)
  redis.call('ZREMRANGEBYSCORE', @blocked, '-inf', now)
  local new_services, new_memory, new_cpus = 0, 0, 0
  local public
  for _, m in ipairs(members) do
    local holder = redis.call('HGET', @names, m.name)
    if holder and holder ~= m.id then return {'name_taken', m.name} end
    if redis.call('HEXISTS', @serviceUsage, m.id) == 0 then
      new_services = new_services + 1
      new_memory = new_memory + tonumber(m.memory)
      new_cpus = new_cpus + tonumber(m.millicpus)
    end
    if m.public then public = m end
  end

  local usage = redis.call('HMGET', @usage, 'services', 'memory_bytes', 'millicpus')
  local services, used_memory, used_cpus = tonumber(usage[1] or '0'), tonumber(usage[2] or '0'), tonumber(usage[3] or '0')
  local max_services, max_memory, max_cpus = tonumber(@maxServices), tonumber(@maxMemoryBytes), tonumber(@maxMilliCpus)
  if max_services >= 0 and services + new_services > max_services then return {'quota', 'services'} end
  if max_memory >= 0 and used_memory + new_memory > max_memory then return {'quota', 'memory'} end
  if max_cpus >= 0 and used_cpus + new_cpus > max_cpus then return {'quota', 'cpus'} end
  local host = redis.call('HMGET', @hostUsage, 'memory_bytes', 'millicpus')
  local host_memory, host_cpus = tonumber(host[1] or '0'), tonumber(host[2] or '0')
  local host_max_memory, host_max_cpus = tonumber(@hostMaxMemoryBytes), tonumber(@hostMaxMilliCpus)
  if host_max_memory >= 0 and host_memory + new_memory > host_max_memory then return {'host', 'memory'} end
  if host_max_cpus >= 0 and host_cpus + new_cpus > host_max_cpus then return {'host', 'cpus'} end

  -- The public member's port, found before anything is written: no port, no stack.
  local port = ''
  if public then
    port = redis.call('HGET', @servicePorts, public.id)
    if not port then
      local min, max, start = tonumber(@min), tonumber(@max), tonumber(@start)
      local span = max - min + 1
      for i = 0, span - 1 do
        local candidate = min + ((start - min + i) % span)
        if redis.call('HEXISTS', @ports, candidate) == 0 and not redis.call('ZSCORE', @blocked, candidate) then
          port = tostring(candidate)
          break
        end
      end
      if not port then return {'exhausted'} end
      redis.call('HSET', @ports, port, public.id)
      redis.call('HSET', @servicePorts, public.id, port)
    end
  end

  for _, m in ipairs(members) do
    redis.call('HSET', @names, m.name, m.id)
    if redis.call('HEXISTS', @serviceUsage, m.id) == 0 then
      local memory, millicpus = tonumber(m.memory), tonumber(m.millicpus)
      redis.call('HINCRBY', @usage, 'services', 1)
      redis.call('HINCRBY', @usage, 'memory_bytes', memory)
      redis.call('HINCRBY', @usage, 'millicpus', millicpus)
      redis.call('HSET', @serviceUsage, m.id, @owner .. ' ' .. memory .. ' ' .. millicpus)
      redis.call('HINCRBY', @hostUsage, 'memory_bytes', memory)
      redis.call('HINCRBY', @hostUsage, 'millicpus', millicpus)
    end
  end
  return {'reserved', port}
end

local result = reserve()
if redis.call('GET', @lock) == @token then redis.call('DEL', @lock) end
return result
