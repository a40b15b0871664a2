-- The token record (HGETALL) whose secret hashes to @sha256, or false. One round trip for every API request.
-- The record's key depends on the id this script reads, so it cannot be declared beforehand: it is built from
-- @tokenKeyPrefix, which RedisKeys.TokenKeyPrefix supplies (the one exception to "every key is a KEYS entry").
local id = redis.call('HGET', @byHash, @sha256)
if not id then return false end
return redis.call('HGETALL', @tokenKeyPrefix .. id)
