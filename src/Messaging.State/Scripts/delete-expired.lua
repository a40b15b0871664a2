-- Deletes a record that ended (status @failed or @removed) and has not changed since @cutoff (updated_at, Unix ms),
-- with its entries in its owner's index and the global index, in one step, so no listing keeps an id whose record
-- is gone. A record that left the ended status meanwhile (a DELETE moves failed to removing), changed after the
-- cutoff, or whose owner is not @owner (the owner index is a declared key) is kept. Returns 1 when deleted.
local current = redis.call('HMGET', @record, 'status', 'updated_at', 'owner')
if current[1] ~= @failed and current[1] ~= @removed then return 0 end
if current[3] ~= @owner then return 0 end
if not current[2] or tonumber(current[2]) > tonumber(@cutoff) then return 0 end
redis.call('DEL', @record)
redis.call('ZREM', @ownerIndex, @serviceId)
redis.call('ZREM', @allIndex, @serviceId)
return 1
