-- The API's pending record, unless a live service holds its name or the id exists. The name stays only a
-- hint here; the worker's reservation is the real check. @fields: JSON array field, value, field, value...
-- Returns 'created' | 'name_taken' | 'id_exists'.
if redis.call('HEXISTS', @names, @name) == 1 then return 'name_taken' end
if redis.call('EXISTS', @record) == 1 then return 'id_exists' end
redis.call('HSET', @record, unpack(cjson.decode(@fields)))
redis.call('ZADD', @ownerIndex, @createdAt, @serviceId)
redis.call('ZADD', @allIndex, @createdAt, @serviceId)
return 'created'
