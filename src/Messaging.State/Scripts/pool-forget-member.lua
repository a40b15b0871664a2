-- Forgets a retired member whose container is gone: its port goes back (if still the member's) and it leaves
-- the budget. A claimed member is never forgotten here (its port is its service's). Returns 'forgotten' | 'claimed'.
if redis.call('HGET', @member, 'state') == 'claimed' then return 'claimed' end
local port = redis.call('HGET', @member, 'port')
if port and redis.call('HGET', @ports, port) == 'pool:' .. @memberId then redis.call('HDEL', @ports, port) end
redis.call('ZREM', @idle, @memberId)
redis.call('SREM', @members, @memberId)
redis.call('DEL', @member)
return 'forgotten'
