-- Marks the record @creating for @commandId, or says why not, atomically, so two workers holding the same
-- command agree on what the record is. Keeps the first created_at. @fields: JSON array field, value, ...
-- Returns 'claimed' | 'finished' (the command already ended: replay) | 'foreign' (another command's id, or
-- another owner's record: service and command ids are in every event, so another publisher can name both).
local existing = redis.call('HMGET', @record, 'command_id', 'status', 'created_at', 'owner')
-- A record rebuilt by the reconciler from an old container may lack the command id: not foreign.
if existing[1] and existing[1] ~= @commandId and existing[1] ~= @noCommand then return 'foreign' end
if existing[4] and existing[4] ~= @owner then return 'foreign' end
if existing[2] and existing[2] ~= @pending and existing[2] ~= @creating then return 'finished' end
redis.call('HSET', @record, unpack(cjson.decode(@fields)))
if existing[3] then redis.call('HSET', @record, 'created_at', existing[3]) end
redis.call('HSET', @record, 'status', @creating)
-- The command reached a worker, so whatever the API's confirm said, it was delivered.
redis.call('HDEL', @record, 'unconfirmed')
redis.call('ZADD', @ownerIndex, existing[3] or @createdAt, @serviceId)
redis.call('ZADD', @allIndex, existing[3] or @createdAt, @serviceId)
return 'claimed'
