-- Reserves a service's extra hostnames, all or none: refused (naming the first one) when another service holds any.
-- The same service reserving again (a redelivered command) is a no-op success.
-- @hostnames: hash hostname -> service id; @serviceId; @hosts: JSON array of normalized hostnames.
local hosts = cjson.decode(@hosts)
for _, host in ipairs(hosts) do
  local holder = redis.call('HGET', @hostnames, host)
  if holder and holder ~= @serviceId then
    return host
  end
end
for _, host in ipairs(hosts) do
  redis.call('HSET', @hostnames, host, @serviceId)
end
return ''
