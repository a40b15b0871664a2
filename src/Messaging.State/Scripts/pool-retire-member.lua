-- Takes an idle member out of its pool so that nobody can claim it (idle expiry, shutdown, a dead container);
-- its port stays held until pool-forget-member.lua, after the container is gone. With @anyState '1', a member
-- still 'warming' is taken too (its creation failed or was abandoned). Returns 'retired' | 'claimed' | 'gone'.
local state = redis.call('HGET', @member, 'state')
if not state then return 'gone' end
if state == 'claimed' then return 'claimed' end
if state == 'idle' then
  if redis.call('ZREM', @idle, @memberId) == 0 then return 'claimed' end
elseif state ~= 'retiring' and @anyState ~= '1' then
  return 'gone'
end
redis.call('HSET', @member, 'state', 'retiring')
return 'retired'
