-- Puts back the reservation of a container the engine runs (after Redis lost it): port, name, usage (the owner's
-- and the host's; a running container counts even beyond a budget: the engine is the truth).
-- Returns 'restored' (something was written), 'intact' (all was there) or 'conflict' (another service
-- holds that port or name; nothing is written).
local id, name, port = @serviceId, @name, @port
local holder = redis.call('HGET', @ports, port)
if holder and holder ~= id then return 'conflict' end
local named = redis.call('HGET', @names, name)
if named and named ~= id then return 'conflict' end
local changed = false
if not holder then redis.call('HSET', @ports, port, id); changed = true end
if redis.call('HGET', @servicePorts, id) ~= port then redis.call('HSET', @servicePorts, id, port); changed = true end
if not named then redis.call('HSET', @names, name, id); changed = true end
if redis.call('HEXISTS', @serviceUsage, id) == 0 then
  redis.call('HINCRBY', @usage, 'services', 1)
  redis.call('HINCRBY', @usage, 'memory_bytes', @memoryBytes)
  redis.call('HINCRBY', @usage, 'millicpus', @milliCpus)
  redis.call('HSET', @serviceUsage, id, @owner .. ' ' .. @memoryBytes .. ' ' .. @milliCpus)
  redis.call('HINCRBY', @hostUsage, 'memory_bytes', @memoryBytes)
  redis.call('HINCRBY', @hostUsage, 'millicpus', @milliCpus)
  changed = true
end
if changed then return 'restored' end
return 'intact'
