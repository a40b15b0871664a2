-- Moves a record to @to if its status is one of @from (JSON array; the caller keeps only statuses the state
-- machine lets lead to @to), stamping updated_at = @now; with @clearPlacement = 1 the placement fields
-- (host_port, host, container_id) are emptied in the same step, and @fields (JSON array: field, value, ...) set.
-- Returns {'moved', previous} | {'refused', current} | {'missing', ''}.
local current = redis.call('HGET', @record, 'status')
if not current then return {'missing', ''} end
for _, status in ipairs(cjson.decode(@from)) do
  if status == current then
    redis.call('HSET', @record, 'status', @to, 'updated_at', @now)
    if @clearPlacement == '1' then redis.call('HSET', @record, 'host_port', '', 'host', '', 'container_id', '') end
    local fields = cjson.decode(@fields)
    if #fields > 0 then redis.call('HSET', @record, unpack(fields)) end
    return {'moved', current}
  end
end
return {'refused', current}
