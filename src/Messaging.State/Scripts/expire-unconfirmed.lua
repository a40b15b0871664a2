-- Fails a record still @pending and still unconfirmed (the API's publish was never confirmed and no worker's
-- claim cleared the mark), atomically, so a claim that comes first wins. Returns 1 when it failed the record.
if redis.call('HGET', @record, 'status') ~= @pending or redis.call('HGET', @record, 'unconfirmed') ~= '1' then return 0 end
redis.call('HSET', @record, 'status', @failed, 'failure_code', @code, 'failure_message', @message, 'updated_at', @now)
redis.call('HDEL', @record, 'unconfirmed')
return 1
