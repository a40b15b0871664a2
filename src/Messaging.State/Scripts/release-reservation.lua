-- Gives back a service's port, name, quota share and host budget share, if it still holds them (@name '' = whatever
-- name it holds).
-- @counted is the service's usage entry as the caller read it ('' = none) and @usage the owner's usage key
-- it names: the key must be declared before the script runs, so the caller reads the entry first, and the
-- script refuses ('changed') if it moved since. Returns 'released' or 'changed' (read again and retry).
local id = @serviceId
local counted = redis.call('HGET', @serviceUsage, id) or ''
if counted ~= @counted then return 'changed' end
if counted ~= '' then
  local _, memory, millicpus = string.match(counted, '^(.*) (%d+) (%d+)$')
  -- 0 - n, not -n: Lua prints -0 as "-0", which HINCRBY refuses.
  redis.call('HINCRBY', @usage, 'services', -1)
  redis.call('HINCRBY', @usage, 'memory_bytes', 0 - tonumber(memory))
  redis.call('HINCRBY', @usage, 'millicpus', 0 - tonumber(millicpus))
  redis.call('HINCRBY', @hostUsage, 'memory_bytes', 0 - tonumber(memory))
  redis.call('HINCRBY', @hostUsage, 'millicpus', 0 - tonumber(millicpus))
  redis.call('HDEL', @serviceUsage, id)
end
local port = redis.call('HGET', @servicePorts, id)
if port then
  if redis.call('HGET', @ports, port) == id then redis.call('HDEL', @ports, port) end
  redis.call('HDEL', @servicePorts, id)
end
if @name ~= '' then
  if redis.call('HGET', @names, @name) == id then redis.call('HDEL', @names, @name) end
else
  -- Name unknown (the record is gone): find it by value. Rare: only the reconciler releases this way.
  local all = redis.call('HGETALL', @names)
  for i = 1, #all, 2 do
    if all[i + 1] == id then redis.call('HDEL', @names, all[i]) end
  end
end
return 'released'
