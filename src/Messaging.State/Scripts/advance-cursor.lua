-- Moves @cursor (an engine time in Unix nanoseconds) forward to @value, never back: every worker's supervisor reads
-- the same event stream, a little earlier or later than the others. Returns 1 when it moved.
local current = tonumber(redis.call('GET', @cursor) or '0')
if tonumber(@value) > current then
  redis.call('SET', @cursor, @value)
  return 1
end
return 0
