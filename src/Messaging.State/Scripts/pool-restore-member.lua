-- Puts back an unclaimed member the engine runs after Redis lost it: its port (unless another holds it), the
-- budget entry, and idle. Returns 'restored' | 'intact' | 'conflict' (its port is another's: retire the container).
local holder = redis.call('HGET', @ports, @port)
if holder and holder ~= 'pool:' .. @memberId then return 'conflict' end
if redis.call('EXISTS', @member) == 1 then return 'intact' end
redis.call('HSET', @ports, @port, 'pool:' .. @memberId)
redis.call('SADD', @members, @memberId)
redis.call('HSET', @member, 'pool', @pool, 'port', @port, 'state', 'idle', 'container_id', @containerId, 'since', @now)
redis.call('ZADD', @idle, @now, @memberId)
return 'restored'
