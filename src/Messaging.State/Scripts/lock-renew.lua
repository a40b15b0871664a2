-- Extends the lock's TTL to @ttlMs if @token still holds it. Returns 1 when renewed, 0 when the lock was lost.
if redis.call('GET', @lock) == @token then return redis.call('PEXPIRE', @lock, @ttlMs) end
return 0
