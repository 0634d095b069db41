"""The Redis engine's Lua scripts: generic record reads and version-checked commits.

No vendor logic lives here. A session's keys share the hash tag ``{<session>}``, so each script
touches one Redis Cluster slot. Within a session's world hash, each record ``<field>`` has a
version ``v:<field>`` (absent: 0).
"""

from __future__ import annotations

LOAD = """
-- KEYS[1] world hash, KEYS[2] journal stream, KEYS[3] session info (or the world hash for the
-- default session, which never expires); ARGV[1] '1' when a named session, ARGV[2] now (epoch
-- ms), ARGV[3..] the fields to read. A named session's keys live its idle TTL from now.
if ARGV[1] == '1' then
  local ttl = redis.call('HGET', KEYS[3], 'ttl')
  if not ttl then
    return false
  end
  ttl = math.floor(tonumber(ttl) * 1000)
  redis.call('HINCRBY', KEYS[3], 'requests', 1)
  redis.call('HSET', KEYS[3], 'last_used', ARGV[2])
  redis.call('PEXPIRE', KEYS[3], ttl)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
local fields = {}
for i = 3, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
if #fields == 0 then
  return {}
end
return redis.call('HMGET', KEYS[1], unpack(fields))
"""

COMMIT = """
-- KEYS[1] world hash, KEYS[2] journal stream, KEYS[3] session info (the world hash again for
-- the default session).
-- ARGV: n_checks, (field, version)*, n_writes, (field, value)*, journal_cap, journal_max_bytes,
--       n_journal_ops, (op, arg)*, n_entries, (api, id or '', json, size)*
-- The journal holds at most journal_cap entries and journal_max_bytes of their sizes (the
-- newest entry is always kept); ``jbytes`` in the world hash is the sum of the sizes held.
-- Answers 0 when a record read changed since (nothing written), -1 when the session is gone,
-- else 1.
local w, j = KEYS[1], KEYS[2]
local named = KEYS[3] ~= KEYS[1]
if named and redis.call('EXISTS', KEYS[3]) == 0 then
  return -1
end
local i = 1
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local current = redis.call('HGET', w, 'v:' .. ARGV[i]) or '0'
  if current ~= ARGV[i + 1] then
    return 0
  end
  i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HSET', w, ARGV[i], ARGV[i + 1])
  redis.call('HINCRBY', w, 'v:' .. ARGV[i], 1)
  i = i + 2
end
local cap = tonumber(ARGV[i]); i = i + 1
local max_bytes = tonumber(ARGV[i]); i = i + 1
-- a stream entry's fields: api, <api>, id, <id>, e, <json>, s, <size>
local function size_of(fields)
  return tonumber(fields[8] or '0')
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local op, arg = ARGV[i], ARGV[i + 1]
  if op == 'clear' then
    redis.call('DEL', j)
    redis.call('HSET', w, 'jbytes', 0)
  elseif op == 'clear_api' then
    local entries = redis.call('XRANGE', j, '-', '+')
    for _, entry in ipairs(entries) do
      if entry[2][2] == arg then
        redis.call('XDEL', j, entry[1])
        redis.call('HINCRBY', w, 'jbytes', -size_of(entry[2]))
      end
    end
  elseif op == 'next_id' then
    redis.call('HSET', w, 'jnext', tonumber(arg) - 1)
  end
  i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local id = ARGV[i + 1]
  if id == '' then
    id = redis.call('HINCRBY', w, 'jnext', 1)
  end
  redis.call('XADD', j, '*', 'api', ARGV[i], 'id', id, 'e', ARGV[i + 2], 's', ARGV[i + 3])
  redis.call('HINCRBY', w, 'jbytes', tonumber(ARGV[i + 3]))
  i = i + 4
end
-- drop the oldest entries past either cap
local held = redis.call('XLEN', j)
local bytes = tonumber(redis.call('HGET', w, 'jbytes') or '0')
while held > 0 and (held > cap or (bytes > max_bytes and held > 1)) do
  local oldest = redis.call('XRANGE', j, '-', '+', 'COUNT', 1)[1]
  redis.call('XDEL', j, oldest[1])
  bytes = bytes - size_of(oldest[2])
  held = held - 1
end
redis.call('HSET', w, 'jbytes', bytes)
if named then
  local ttl = redis.call('PTTL', KEYS[3])
  if ttl > 0 then
    redis.call('PEXPIRE', w, ttl)
    redis.call('PEXPIRE', j, ttl)
  end
end
return 1
"""

HIT = """
-- KEYS[1] the counter of one (bucket, key, window); ARGV[1] limit, ARGV[2] TTL in ms.
-- Answers -1 when the call is allowed (and counted), else the count that refused it.
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then
  return count
end
redis.call('INCR', KEYS[1])
if count == 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return -1
"""
