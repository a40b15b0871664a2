-- Appends an entry to the trail, to its service's stream and (@ownerMaxLength ~= '') to its owner's stream,
-- trims them and announces the id on @channel.
-- With @dedupSeconds ~= '' the entry is written only if @seen was not set in that window (a redelivery of a
-- message already recorded returns nil). @fields: JSON array field, value, ... @minId: '' = no age limit.
-- The service and owner streams reuse the trail's id, so a cursor means the same in both. Should it ever be ahead of
-- the trail (the trail key was deleted by hand), it falls back to an id of its own.
if @dedupSeconds ~= '' then
  if not redis.call('SET', @seen, '1', 'NX', 'EX', @dedupSeconds) then return nil end
end
local fields = cjson.decode(@fields)
local id = redis.call('XADD', @trail, 'MAXLEN', '~', @maxLength, '*', unpack(fields))
local copied = redis.pcall('XADD', @serviceTrail, 'MAXLEN', '~', @serviceMaxLength, id, unpack(fields))
if type(copied) == 'table' and copied.err then
  redis.call('XADD', @serviceTrail, 'MAXLEN', '~', @serviceMaxLength, '*', unpack(fields))
end
if @ownerMaxLength ~= '' then
  local indexed = redis.pcall('XADD', @ownerTrail, 'MAXLEN', '~', @ownerMaxLength, id, unpack(fields))
  if type(indexed) == 'table' and indexed.err then
    redis.call('XADD', @ownerTrail, 'MAXLEN', '~', @ownerMaxLength, '*', unpack(fields))
  end
end
if @minId ~= '' then
  redis.call('XTRIM', @trail, 'MINID', '~', @minId)
  redis.call('XTRIM', @serviceTrail, 'MINID', '~', @minId)
  if @ownerMaxLength ~= '' then redis.call('XTRIM', @ownerTrail, 'MINID', '~', @minId) end
end
redis.call('PUBLISH', @channel, id)
return id
