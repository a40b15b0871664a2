-- Sets a waiting build's queue position, only while its record still has status @queued (the build may have started
-- or ended meanwhile, and a late position must not be written over that). Returns 1 when set, 0 otherwise.
if redis.call('HGET', @record, 'status') ~= @queued then
  return 0
end
redis.call('HSET', @record, 'queue_position', @position)
return 1
