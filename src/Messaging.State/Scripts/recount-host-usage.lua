-- Sets the host usage to the sum of every service's counted share (service-usage entries "owner memory millicpus").
-- Atomic, so no reservation or release interleaves; repairs a host usage that drifted (entries counted before the
-- host budget existed, a hand edit). Returns {memory_bytes, millicpus}.
local memory, millicpus = 0, 0
local entries = redis.call('HVALS', @serviceUsage)
for _, counted in ipairs(entries) do
  local _, m, c = string.match(counted, '^(.*) (%d+) (%d+)$')
  if m then
    memory = memory + tonumber(m)
    millicpus = millicpus + tonumber(c)
  end
end
redis.call('HSET', @hostUsage, 'memory_bytes', memory, 'millicpus', millicpus)
return {tostring(memory), tostring(millicpus)}
