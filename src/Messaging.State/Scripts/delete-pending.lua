-- Removes a pending record that never reached the broker, only if it is still @pending for @commandId
-- (a worker may already have claimed it). Returns 1 when deleted, 0 otherwise.
if redis.call('HGET', @record, 'status') ~= @pending or redis.call('HGET', @record, 'command_id') ~= @commandId then
  return 0
end
redis.call('DEL', @record)
redis.call('ZREM', @ownerIndex, @serviceId)
redis.call('ZREM', @allIndex, @serviceId)
return 1
