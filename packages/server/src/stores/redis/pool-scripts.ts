import { lua } from './lua-prelude.js';
import { LuaScript } from './lua-script.js';

/**
 * ARGV: prefix, key, leaseId, kind ('semaphore' | 'rwlock'), limit (0: none given), weight,
 * waitMs (0 never waits), waiterId, reply channel, maxHoldMs (0 none), caller. Hands the pool to
 * its live head waiters first, so FIFO order holds; then the same grant for a lease already holding
 * (a lighter weight on a read/write lock is the downgrade, a heavier one 'modeconflict'), else a
 * grant when nobody queues and the weight fits, else a refusal, queued with waitMs. Replies:
 * {'nolease'} | {'notfound'} | {'kind', kind} | {'mismatch', limit} | {'toomany', limit} |
 * {'modeconflict'} | {'ok', token, weight} | {'busy'|'queued', available, waiters, holderPttl}.
 */
export const poolAcquireScript = new LuaScript(
  lua(`
local k, id, kind, limit, weight = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local waitMs, wid, srv, holdMs = tonumber(ARGV[7]), ARGV[8], ARGV[9], tonumber(ARGV[10])
local app, lpx = usableLease(id, ARGV[11])
if not app then return { 'nolease' } end
local now = nowMs()
local pool = settledPool(k, now)
if not pool then
  if limit == 0 then return { 'notfound' } end
  pool = newPool(k, kind, limit, false)
end
if pool.kind ~= kind then return { 'kind', pool.kind } end
if limit > 0 and limit ~= pool.limit then return { 'mismatch', pool.limit } end
if weight > pool.limit then return { 'toomany', pool.limit } end
if pool.fresh then savePool(pool) end
local held = pool.holders[id]
if held and (kind ~= 'rwlock' or held.weight == weight) then return { 'ok', held.token, held.weight } end
if held and weight > held.weight then return { 'modeconflict' } end
if held then
  -- The downgrade: dropped and granted with no hand-off between, so a queued writer never sees it free.
  poolDrop(pool, held)
  local g = poolGrant(pool, id, app, lpx, weight, held.hold, '', now)
  poolHandoff(pool, now)
  return { 'ok', g.token, g.weight }
end
local q = P .. 'pq:' .. k
local waiting = redis.call('LLEN', q)
if waiting == 0 and pool.used + weight <= pool.limit then
  local g = poolGrant(pool, id, app, lpx, weight, holdAt(holdMs, now), '', now)
  return { 'ok', g.token, g.weight }
end
local reply = { 'busy', math.max(0, pool.limit - pool.used), waiting, pool.left }
if waitMs > 0 then
  local wk = P .. 'w:' .. wid
  redis.call('HSET', wk, 'key', k, 'lease', id, 'deadline', now + waitMs, 'hold', holdMs, 'srv', srv, 'permits', weight)
  redis.call('PEXPIRE', wk, waitMs + GRACE)
  redis.call('RPUSH', q, wid)
  redis.call('INCR', P .. 'waiting')
  redis.call('SADD', P .. 'lw:' .. id, wid)
  redis.call('PEXPIRE', P .. 'lw:' .. id, lpx + GRACE)
  reply[1] = 'queued'
end
return reply
`),
);

/** Lua: `refusal(pool)`, what an acquire that got nothing answers: {available, waiters}. */
const REFUSAL = `
local function refusal(pool)
  if not pool then return { 0, 0 } end
  return { math.max(0, pool.limit - pool.used), redis.call('LLEN', P .. 'pq:' .. pool.key) }
end
`;

/**
 * ARGV: prefix, key, waiterId. Takes a waiter out of the queue; a grant a hand-off already made it
 * (its reply may still be in flight) is undone and passed on: a waiter that gave up is never
 * granted. Returns the refusal its acquire answers, {available, waiters}.
 */
export const poolCancelScript = new LuaScript(
  lua(`${REFUSAL}
local k, wid = ARGV[2], ARGV[3]
local now = nowMs()
if not dropWaiter(wid) then unqueued(redis.call('LREM', P .. 'pq:' .. k, 1, wid)) end
local pool = readPool(k, now)
if not pool then return refusal(nil) end
for _, g in pairs(pool.holders) do
  if g.waiter == wid then
    poolDrop(pool, g)
    break
  end
end
return refusal(poolSettle(pool, now))
`),
);

/** ARGV: prefix, key, waiterId. 0 while queued, 'token:weight' once granted, -1 when it is neither. */
export const poolStatusScript = new LuaScript(
  lua(`
local k, wid = ARGV[2], ARGV[3]
if redis.call('EXISTS', P .. 'w:' .. wid) == 1 then return 0 end
local pool = settledPool(k, nowMs())
if not pool then return -1 end
for _, g in pairs(pool.holders) do
  if g.waiter == wid then return string.format('%d:%d', g.token, g.weight) end
end
return -1
`),
);

/** ARGV: prefix, key. Hands a pool on (after a holder's end); returns the earliest holder's PTTL (-2 none). */
export const poolHandoffScript = new LuaScript(
  lua(`
local pool = settledPool(ARGV[2], nowMs())
if not pool then return -2 end
return pool.left
`),
);

/**
 * ARGV: prefix, key, leaseId, caller. Lets the lease's grant go (if the caller's app's) and hands
 * the permits on. Returns 'released' or 'not_held'.
 */
export const poolReleaseScript = new LuaScript(
  lua(`
local k, id, caller = ARGV[2], ARGV[3], ARGV[4]
local now = nowMs()
local pool = readPool(k, now)
if not pool then return 'not_held' end
local g = pool.holders[id]
local mine = g and (caller == '' or caller == '=' .. g.app)
if mine then poolDrop(pool, g) end
poolSettle(pool, now)
if mine then return 'released' end
return 'not_held'
`),
);

/** ARGV: prefix, key, token. 1 while `token` is a current grant of the pool. */
export const poolCheckScript = new LuaScript(
  lua(`
local pool = settledPool(ARGV[2], nowMs())
if not pool then return 0 end
for _, g in pairs(pool.holders) do
  if g.token == tonumber(ARGV[3]) then return 1 end
end
return 0
`),
);

/** Lua: `describePool(pool)`, a SemaphoreInfo (plus its kind), holders in grant order. */
const DESCRIBE = `
local function describePool(pool)
  local grants = {}
  for _, g in pairs(pool.holders) do grants[#grants + 1] = g end
  table.sort(grants, function(a, b) return a.token < b.token end)
  local holders = {}
  for i, g in ipairs(grants) do
    local h = { leaseId = g.lease, app = g.app, permits = g.weight, fencingToken = g.token, acquiredAt = g.at }
    local owner = redis.call('HGET', P .. 'lease:' .. g.lease, 'owner')
    if owner and owner ~= '' then h.owner = owner end
    holders[i] = h
  end
  local waiters = redis.call('LLEN', P .. 'pq:' .. pool.key)
  return { key = pool.key, kind = pool.kind, limit = pool.limit, used = pool.used, holders = holders, waiters = waiters }
end
`;

/** ARGV: prefix, key. JSON of the pool, or '' when nobody made it (or it went idle). */
export const poolDescribeScript = new LuaScript(
  lua(`${DESCRIBE}
local pool = settledPool(ARGV[2], nowMs())
if not pool then return '' end
return cjson.encode(describePool(pool))
`),
);

/** ARGV: prefix, keyPrefix, limit, kind. JSON array of that kind's pools in key order; prunes the index. */
export const poolListScript = new LuaScript(
  lua(`${DESCRIBE}
local prefix, limit, kind = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local now, out, start = nowMs(), {}, '[' .. prefix
while #out < limit do
  local batch = redis.call('ZRANGEBYLEX', P .. 'pools', start, '+', 'LIMIT', 0, 100)
  if #batch == 0 then break end
  for _, key in ipairs(batch) do
    if #out >= limit or string.sub(key, 1, #prefix) ~= prefix then return cjson.encode(out) end
    local pool = settledPool(key, now)
    if not pool then redis.call('ZREM', P .. 'pools', key)
    elseif pool.kind == kind then out[#out + 1] = describePool(pool) end
    start = '(' .. key
  end
end
return cjson.encode(out)
`),
);

/**
 * ARGV: prefix, key, limit, ifLimit ('' none). Sets a semaphore's limit, making it (kept while
 * idle) if absent; raising it hands on at once, lowering it revokes nothing. Replies {'ok', JSON
 * of the pool} | {'mismatch', limit in force (-1 none)} | {'kind', kind}.
 */
export const poolSetLimitScript = new LuaScript(
  lua(`${DESCRIBE}
local k, limit, ifLimit = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local now = nowMs()
local pool = settledPool(k, now)
if ifLimit ~= '' and (not pool or pool.limit ~= tonumber(ifLimit)) then
  if pool then return { 'mismatch', pool.limit } end
  return { 'mismatch', -1 }
end
if pool and pool.kind ~= 'semaphore' then return { 'kind', pool.kind } end
pool = pool or newPool(k, 'semaphore', limit, true)
pool.limit = limit
pool.explicit = true
savePool(pool)
poolSettle(pool, now)
return { 'ok', cjson.encode(describePool(pool)) }
`),
);
