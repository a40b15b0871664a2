-- A pool member's container runs: it becomes idle (claimable), oldest first. Only a member still 'warming'
-- (one retired or forgotten meanwhile stays gone). Returns 'ready' | 'gone'.
if redis.call('HGET', @member, 'state') ~= 'warming' then return 'gone' end
redis.call('HSET', @member, 'state', 'idle', 'container_id', @containerId, 'since', @now)
redis.call('ZADD', @idle, @now, @memberId)
return 'ready'
