-- Gives back the hostnames this service holds; one another service holds now is left alone.
-- @hostnames: hash hostname -> service id; @serviceId; @hosts: JSON array of hostnames.
local hosts = cjson.decode(@hosts)
local freed = 0
for _, host in ipairs(hosts) do
  if redis.call('HGET', @hostnames, host) == @serviceId then
    redis.call('HDEL', @hostnames, host)
    freed = freed + 1
  end
end
return freed
