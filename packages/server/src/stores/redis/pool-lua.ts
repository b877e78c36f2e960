import { RW_WRITE_PERMITS } from '@leasehold/core';

/** MODE_CONFLICT's text, for an acquire answered at once or a queued one answered by a hand-off. */
export const MODE_CONFLICT_TEXT =
  'mode: the lease holds this lock for read; an upgrade to write is refused (release, then acquire write)';

/**
 * Lua for permit pools (semaphores and read/write locks; design primitives.md §1, ADR 0024),
 * spliced at the end of the prelude: the lease scripts hand pools off when a lease ends, and a
 * fenced put may name a pool grant. Keys: `pool:<k>` {kind, limit, explicit}; `ph:<k>` leaseId →
 * 'weight|token|at|hold|waiter|' .. app; `pq:<k>` waiter ids, oldest first (the `w:<id>` hashes of
 * the lock waiters, with `permits`); `lp:<lease>` the pools a lease holds (no TTL: revoke and the
 * reaper delete it); `pools` (ZSET, lex) lists
 * them. A holder counts while its `lease:<id>` key lives and its hold (Redis ms) lies ahead: every
 * script that reads a pool drops the others first, announcing them, so liveness is Redis's clock.
 */
export const POOL_LUA = `
local RW_WRITE = ${RW_WRITE_PERMITS}
local MODE_CONFLICT_TEXT = '${MODE_CONFLICT_TEXT}'
local function poolMetaKey(k) return P .. 'pool:' .. k end
local function encodeGrant(g)
  return string.format('%d|%d|%d|%d|%s|', g.weight, g.token, g.at, g.hold, g.waiter) .. g.app
end
local function decodeGrant(lease, s)
  local w, t, at, hold, wid, app = string.match(s, '^(%d+)|(%d+)|(%d+)|(%d+)|([^|]*)|(.*)$')
  return { lease = lease, weight = tonumber(w), token = tonumber(t), at = tonumber(at), hold = tonumber(hold), waiter = wid, app = app }
end
local function permitEvent(kind, pool, g, rev)
  local ev = { type = kind, key = pool.key, revision = rev, leaseId = g.lease, app = known(g.app), fencingToken = g.token }
  if pool.kind ~= 'rwlock' then ev.permits = g.weight
  elseif g.weight == RW_WRITE then ev.mode = 'write'
  else ev.mode = 'read' end
  emit(ev)
end
-- How long holder g lasts (ms): its lease's PTTL, or less when its hold ends first; -1 unknown.
local function holderLeft(g, lpx, now)
  if g.hold > 0 and (lpx < 0 or g.hold - now < lpx) then return g.hold - now end
  return lpx
end
local function noteLeft(pool, left)
  if left >= 0 and (pool.left < 0 or left < pool.left) then pool.left = left end
end
local function holdAt(holdMs, now)
  if holdMs > 0 then return now + holdMs end
  return 0
end
-- Frees g's weight at a new revision, announced; its lease stops listing the pool.
local function poolDrop(pool, g)
  redis.call('HDEL', P .. 'ph:' .. pool.key, g.lease)
  redis.call('SREM', P .. 'lp:' .. g.lease, pool.key)
  if pool.holders[g.lease] then
    pool.holders[g.lease] = nil
    pool.used = pool.used - g.weight
  end
  if pool.kind == 'semaphore' then redis.call('DECRBY', P .. 'permits', g.weight) end
  permitEvent('permit.released', pool, g, nextRev())
end
-- Grants weight to live lease id (app, PTTL lpx) at a new revision, announced.
local function poolGrant(pool, id, app, lpx, weight, hold, wid, now)
  local g = { lease = id, weight = weight, token = nextRev(), at = now, hold = hold, waiter = wid, app = app }
  redis.call('HSET', P .. 'ph:' .. pool.key, id, encodeGrant(g))
  -- No TTL (a keep-alive renews nothing for pools): revoke and the reaper delete it, as lb:<id>.
  redis.call('SADD', P .. 'lp:' .. id, pool.key)
  pool.holders[id] = g
  pool.used = pool.used + weight
  if pool.kind == 'semaphore' then redis.call('INCRBY', P .. 'permits', weight) end
  noteLeft(pool, holderLeft(g, lpx, now))
  permitEvent('permit.acquired', pool, g, g.token)
  return g
end
local function newPool(k, kind, limit, explicit)
  return { key = k, kind = kind, limit = limit, explicit = explicit, holders = {}, used = 0, left = -2, fresh = true }
end
local function savePool(pool)
  local e = 0
  if pool.explicit then e = 1 end
  redis.call('HSET', poolMetaKey(pool.key), 'kind', pool.kind, 'limit', pool.limit, 'explicit', e)
  if pool.fresh then redis.call('ZADD', P .. 'pools', 0, pool.key) end
  pool.fresh = nil
end
-- Pool k with its live holders (the others dropped, announced); nil when nobody made it.
local function readPool(k, now)
  local meta = hash(poolMetaKey(k))
  if not meta then return nil end
  local pool = newPool(k, meta.kind, tonumber(meta.limit), meta.explicit == '1')
  pool.fresh = nil
  local raw = redis.call('HGETALL', P .. 'ph:' .. k)
  for i = 1, #raw, 2 do
    local g = decodeGrant(raw[i], raw[i + 1])
    local lpx = redis.call('PTTL', P .. 'lease:' .. g.lease)
    if lpx == -2 or (g.hold > 0 and g.hold <= now) then
      poolDrop(pool, g)
    else
      pool.holders[g.lease] = g
      pool.used = pool.used + g.weight
      noteLeft(pool, holderLeft(g, lpx, now))
    end
  end
  return pool
end
local function tell(w, message) redis.call('PUBLISH', w.srv, message) end
local function grantMessage(wid, g, k)
  return string.format('g %s %d:%d ', wid, g.token, g.weight) .. k
end
-- Answers the popped waiter wid (hash w) whose turn came: the same grant for a lease already
-- holding, else a new one, or why it cannot have one. A waiter out of time is its server's to end.
local function poolAnswer(pool, wid, w, now)
  if not w or tonumber(w.deadline) <= now then return end
  local weight = tonumber(w.permits)
  local lpx = redis.call('PTTL', P .. 'lease:' .. w.lease)
  local held = pool.holders[w.lease]
  if lpx == -2 then return tell(w, 'l ' .. wid) end
  if held and (pool.kind ~= 'rwlock' or held.weight == weight) then return tell(w, grantMessage(wid, held, pool.key)) end
  if held then return tell(w, 'e ' .. wid .. ' MODE_CONFLICT mode ' .. MODE_CONFLICT_TEXT) end
  if weight > pool.limit then
    return tell(w, string.format('e %s LIMIT_MISMATCH permits permits: %d given, but its limit is %d', wid, weight, pool.limit))
  end
  local app = redis.call('HGET', P .. 'lease:' .. w.lease, 'app') or ''
  local g = poolGrant(pool, w.lease, app, lpx, weight, holdAt(tonumber(w.hold), now), wid, now)
  tell(w, grantMessage(wid, g, pool.key))
end
-- Strict FIFO with head-of-line blocking: pops and answers head waiters while their permits fit
-- (or they need none: gone, out of time, already holding, over the limit).
local function poolHandoff(pool, now)
  local q = P .. 'pq:' .. pool.key
  while true do
    local wid = redis.call('LINDEX', q, 0)
    if not wid then return end
    local wk = P .. 'w:' .. wid
    local w = hash(wk)
    if w and tonumber(w.deadline) > now and not pool.holders[w.lease] then
      local weight = tonumber(w.permits)
      local fits = weight > pool.limit or pool.used + weight <= pool.limit
      if not fits and redis.call('EXISTS', P .. 'lease:' .. w.lease) == 1 then return end
    end
    redis.call('LPOP', q)
    unqueued(1)
    redis.call('DEL', wk)
    if w then redis.call('SREM', P .. 'lw:' .. w.lease, wid) end
    poolAnswer(pool, wid, w, now)
  end
end
-- Nobody holds or awaits it and setLimit did not make it: deleted.
local function poolIdle(pool)
  return not pool.explicit and next(pool.holders) == nil and redis.call('LLEN', P .. 'pq:' .. pool.key) == 0
end
local function poolSettle(pool, now)
  poolHandoff(pool, now)
  if not poolIdle(pool) then return pool end
  redis.call('DEL', poolMetaKey(pool.key))
  redis.call('ZREM', P .. 'pools', pool.key)
  return nil
end
-- Pool k as it stands once dead holders are dropped and the freed permits handed on; nil when absent.
local function settledPool(k, now)
  local pool = readPool(k, now)
  if not pool then return nil end
  return poolSettle(pool, now)
end
-- Fails lease id's waiters (on locks and pools); returns the pools whose queues they left.
local function failWaiters(id)
  local touched = {}
  for _, wid in ipairs(redis.call('SMEMBERS', P .. 'lw:' .. id)) do
    local w = dropWaiter(wid)
    if w then
      redis.call('PUBLISH', w.srv, 'l ' .. wid)
      if w.permits then touched[w.key] = true end
    end
  end
  return touched
end
-- Once lease id's key is gone: drops its grants and hands on every pool it held or awaited. The
-- caller deletes lp:<id> with the lease's other side keys.
local function endLeasePools(id, touched)
  for _, k in ipairs(redis.call('SMEMBERS', P .. 'lp:' .. id)) do touched[k] = true end
  local now
  for k in pairs(touched) do
    now = now or nowMs()
    settledPool(k, now)
  end
end
-- True while token is the grant of lock fk, or (no lock holds fk) a current grant of pool fk.
local function fenceHolds(fk, token)
  local m, v = holderOf(fk)
  if v or string.sub(fk, 1, 6) == 'lock||' then return m ~= nil and tonumber(m.token) == token end
  local pool = settledPool(fk, nowMs())
  if not pool then return false end
  for _, g in pairs(pool.holders) do
    if g.token == token then return true end
  end
  return false
end
`;
