-- Compare-and-delete: only the holder of @token releases the lock. Returns 1 when released, 0 when it was not ours.
if redis.call('GET', @lock) == @token then return redis.call('DEL', @lock) end
return 0
