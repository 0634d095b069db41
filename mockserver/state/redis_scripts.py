"""The Redis engine's Lua scripts: generic record reads and checked commits.

No vendor logic lives here. A session's keys share the hash tag ``{<session>}``, so each script
touches one Redis Cluster slot. A session's world hash holds:

- the small records (``settings``, ``clock``, ``faults``, ``rle:<api>``), each with a version
  ``v:<field>`` (absent: 0);
- the stores' records (``e:<api>:...``, see :mod:`mockserver.state.records`), versioned together:
  ``seq`` counts the commits that changed any, the change index (a sorted set) keeps each
  record's last change, ``fseq:<api>:<field>`` a field's and ``aseq:<api>`` an API's;
- ``epoch``, drawn when the world is first read, so a process notices a Redis that lost its data;
- the journal's counters (``jnext``, ``jbytes``).
"""

from __future__ import annotations

READ = """
-- KEYS[1] world hash, KEYS[2] journal stream, KEYS[3] session info (or the world hash for the
-- default session, which never expires), KEYS[4] the change index (a sorted set: record name
-- -> the session sequence number of its last change).
-- ARGV[1] '1' when a named session, ARGV[2] a fresh epoch (kept when the world has one),
-- ARGV[3] the API, ARGV[4..] the small records to read.
-- Answers false for an unknown session, else {epoch, seq, {small values}, {name, value, ...}}
-- with every record of the API.
local w, c = KEYS[1], KEYS[4]
if ARGV[1] == '1' then
  local ttl = redis.call('HGET', KEYS[3], 'ttl')
  if not ttl then
    return false
  end
  ttl = math.floor(tonumber(ttl) * 1000)
  for _, key in ipairs({KEYS[3], w, KEYS[2], c}) do
    redis.call('PEXPIRE', key, ttl)
  end
end
redis.call('HSETNX', w, 'epoch', ARGV[2])
local epoch = redis.call('HGET', w, 'epoch')
local seq = tonumber(redis.call('HGET', w, 'seq') or '0')
local small = {}
for i = 4, #ARGV do
  small[#small + 1] = redis.call('HGET', w, ARGV[i]) or ''
end
local prefix = 'e:' .. ARGV[3] .. ':'
local records = {}
local all = redis.call('HGETALL', w)
for i = 1, #all, 2 do
  if string.sub(all[i], 1, #prefix) == prefix then
    records[#records + 1] = all[i]
    records[#records + 1] = all[i + 1]
  end
end
return {epoch, seq, small, records}
"""

COMMIT = """
-- KEYS[1] world hash, KEYS[2] journal stream, KEYS[3] session info (the world hash again for
-- the default session), KEYS[4] the change index.
-- ARGV[1] a JSON object (one argument: packing many small arguments costs the client more than
-- the script's decoding); ARGV[2..] the values it points at by index. It holds ``commits``, in
-- the order they ran (a later one may build on an earlier one), each with:
--   count        true: a request, counted on the session (``now`` at the top, epoch ms)
--   since        the sequence number its reads are checked from (absent: no record checks);
--   own          the caller's own earlier commits after it (a record one of them, or an earlier
--                commit of this batch, changed last is no conflict)
--   plain        [[field, value]]: fields of the world hash that must hold these values
--   entries      records read one by one: unchanged since ``since``
--   fields       fields read whole (``<api>:<field>``): no record of theirs changed since
--   small        [[field, index]]: small records written (each with a version v:<field>)
--   writes       [[name, field, index]]: store records written (index 0 removes the record)
--   cap, max_bytes, ops [[op, arg]], journal [[api, id or '', index, size]]: the journal
-- and at the top ``api`` and ``changes_since``: the answer carries the API's records others
-- changed after it.
-- Commits apply one by one; the first whose reads changed stops the batch (the ones after it
-- may build on it): nothing of it or after it is written.
-- The journal holds at most ``cap`` entries and ``max_bytes`` of their sizes (the newest entry
-- is always kept); ``jbytes`` in the world hash is the sum of the sizes held.
-- Answers {-1} when the session is gone, else {applied, {seq of each applied commit}, seq,
-- {name, value, ...}}: how many commits applied, the session's sequence number after them,
-- and the API's records others changed after ``changes_since`` (value '' for a removed one).
local w, j, c = KEYS[1], KEYS[2], KEYS[4]
local b = cjson.decode(ARGV[1])
local named = KEYS[3] ~= KEYS[1]
if named and redis.call('EXISTS', KEYS[3]) == 0 then
  return {-1}
end
local seq = tonumber(redis.call('HGET', w, 'seq') or '0')
local cfloor = tonumber(redis.call('HGET', w, 'cfloor') or '0')
local mine = {}
local seqs = {}
local applied = 0
local counted = 0
local journaled = false
local cap, max_bytes = 0, 0
-- a stream entry's fields: api, <api>, id, <id>, e, <json>, s, <size>
local function size_of(fields)
  return tonumber(fields[8] or '0')
end
local function current(h)
  for _, pair in ipairs(h.plain) do
    if (redis.call('HGET', w, pair[1]) or '0') ~= pair[2] then
      return false
    end
  end
  local since = h.since
  if not since then
    return true
  end
  if since < cfloor then
    return false
  end
  local own = {}
  for _, s in ipairs(h.own) do
    own[s] = true
  end
  for _, name in ipairs(h.entries) do
    local changed = redis.call('ZSCORE', c, name)
    if changed then
      changed = tonumber(changed)
      if changed > since and not own[changed] and not mine[changed] then
        return false
      end
    end
  end
  for _, field in ipairs(h.fields) do
    if tonumber(redis.call('HGET', w, 'fseq:' .. field) or '0') > since then
      return false
    end
  end
  return true
end
for _, h in ipairs(b.commits) do
  if not current(h) then
    break
  end
  for _, pair in ipairs(h.small) do
    redis.call('HSET', w, pair[1], ARGV[pair[2]])
    redis.call('HINCRBY', w, 'v:' .. pair[1], 1)
  end
  if #h.writes > 0 then
    seq = redis.call('HINCRBY', w, 'seq', 1)
    mine[seq] = true
  end
  for _, write in ipairs(h.writes) do
    local name, field = write[1], write[2]
    if write[3] == 0 then
      redis.call('HDEL', w, name)
    else
      redis.call('HSET', w, name, ARGV[write[3]])
    end
    redis.call('ZADD', c, seq, name)
    redis.call('HSET', w, 'fseq:' .. field, seq)
    redis.call('HSET', w, 'aseq:' .. string.match(field, '^[^:]*'), seq)
  end
  for _, pair in ipairs(h.ops) do
    local op, arg = pair[1], pair[2]
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
  end
  for _, entry in ipairs(h.journal) do
    local id = entry[2]
    if id == '' then
      id = redis.call('HINCRBY', w, 'jnext', 1)
    end
    redis.call('XADD', j, '*', 'api', entry[1], 'id', id, 'e', ARGV[entry[3]], 's', entry[4])
    redis.call('HINCRBY', w, 'jbytes', entry[4])
    journaled = true
  end
  cap, max_bytes = h.cap, h.max_bytes
  if h.count then
    counted = counted + 1
  end
  applied = applied + 1
  seqs[applied] = seq
end
-- The change index keeps the newest changes only; a reader behind what it keeps reads again.
if redis.call('ZCARD', c) > 50000 then
  local dropped = redis.call('ZRANGE', c, 9999, 9999, 'WITHSCORES')
  redis.call('ZREMRANGEBYRANK', c, 0, 9999)
  redis.call('HSET', w, 'cfloor', dropped[2])
end
if journaled then
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
end
if named then
  if counted > 0 then
    redis.call('HINCRBY', KEYS[3], 'requests', counted)
    redis.call('HSET', KEYS[3], 'last_used', b.now)
    redis.call('PEXPIRE', KEYS[3], math.floor(tonumber(redis.call('HGET', KEYS[3], 'ttl')) * 1000))
  end
  local ttl = redis.call('PTTL', KEYS[3])
  if ttl > 0 then
    redis.call('PEXPIRE', w, ttl)
    redis.call('PEXPIRE', j, ttl)
    redis.call('PEXPIRE', c, ttl)
  end
end
local changes = {}
if b.api then
  local prefix = 'e:' .. b.api .. ':'
  local found = redis.call('ZRANGEBYSCORE', c, '(' .. b.changes_since, '+inf', 'WITHSCORES')
  for k = 1, #found, 2 do
    local name = found[k]
    if string.sub(name, 1, #prefix) == prefix and not mine[tonumber(found[k + 1])] then
      changes[#changes + 1] = name
      changes[#changes + 1] = redis.call('HGET', w, name) or ''
    end
  end
end
return {applied, seqs, seq, changes}
"""

TOUCH = """
-- KEYS[1] world hash, KEYS[2] journal stream, KEYS[3] session info, KEYS[4] change index;
-- ARGV[1] now (epoch ms). A live session's keys live its idle TTL from now; answers 0 for an
-- unknown session, else 1.
local ttl = redis.call('HGET', KEYS[3], 'ttl')
if not ttl then
  return 0
end
ttl = math.floor(tonumber(ttl) * 1000)
redis.call('HSET', KEYS[3], 'last_used', ARGV[1])
for _, key in ipairs(KEYS) do
  redis.call('PEXPIRE', key, ttl)
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
