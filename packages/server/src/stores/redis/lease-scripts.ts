import { lua } from './lua-prelude.js';
import { LuaScript } from './lua-script.js';

/** How long a lease's side sets outlive it, so an expired lease's leftovers vanish by themselves. */
export const SIDE_GRACE_MS = 60_000;

/**
 * ARGV: prefix, leaseId, ttlMs, owner ('' for none), app. The TTL runs on Redis's clock. The app
 * is also kept in `lease-app`, which outlives the lease until it is reaped, for the expiry event.
 */
export const grantLeaseScript = new LuaScript(
  lua(`
local id, ttl, owner, app = ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local k = P .. 'lease:' .. id
redis.call('HSET', k, 'ttl', ttl, 'owner', owner, 'app', app)
redis.call('PEXPIRE', k, ttl)
redis.call('HSET', P .. 'lease-app', id, app)
-- Layout 2: the lease's lock set exists from here on, with its TTL, so a lock grant only SADDs.
redis.call('SADD', P .. 'll:' .. id, '')
redis.call('PEXPIRE', P .. 'll:' .. id, ttl + ${SIDE_GRACE_MS})
local now = nowMs()
redis.call('ZADD', P .. 'deadlines', now + ttl, id)
countUntil('leases', app, id, now + ttl, now)
return 1
`),
);

/**
 * Lua: `renew(id, caller, now)` restarts the lease's countdown and every lock and key bound to it
 * (a lock never outlives its maxHoldMs). Returns the TTL and the app, or nil when the lease is
 * gone or another app's.
 */
const RENEW_LUA = `
local function renew(id, caller, now)
  local k = P .. 'lease:' .. id
  local app = usableLease(id, caller)
  if not app then return nil end
  local ttl = tonumber(redis.call('HGET', k, 'ttl'))
  redis.call('PEXPIRE', k, ttl)
  redis.call('ZADD', P .. 'deadlines', now + ttl, id)
  countUntil('leases', app, id, now + ttl, now)
  for _, key in ipairs(lockKeys(id)) do
    local m = holderOf(key)
    if m and m.kind == 'n' and m.lease == id then
      local px = ttl
      local hold = tonumber(m.hold)
      if hold > 0 and hold - now < px then px = hold - now end
      if px > 0 then
        redis.call('PEXPIRE', key, px)
        redis.call('PEXPIRE', metaKey(key), px + GRACE)
        countUntil('locks', app, key, now + px, now)
      end
    else
      redis.call('SREM', P .. 'll:' .. id, key)
    end
  end
  for _, key in ipairs(boundKeys(id)) do
    if redis.call('HGET', P .. 'kv:' .. key, 'lease') == id then
      redis.call('PEXPIRE', P .. 'kv:' .. key, ttl)
    else
      unbind(id, key)
    end
  end
  for _, s in ipairs({ 'll:', 'lk:', 'lw:' }) do redis.call('PEXPIRE', P .. s .. id, ttl + ${SIDE_GRACE_MS}) end
  return ttl, app
end
`;

/** ARGV: prefix, leaseId, caller. Renews one lease. Returns {} when it is gone, else {ttlMs, owner, app}. */
export const keepAliveScript = new LuaScript(
  lua(`${RENEW_LUA}
local id = ARGV[2]
local ttl, app = renew(id, ARGV[3], nowMs())
if not ttl then return {} end
return { ttl, redis.call('HGET', P .. 'lease:' .. id, 'owner'), app }
`),
);

/** How many leases one bulk keep-alive script renews: a bounded time inside Redis per call. */
export const KEEP_ALIVE_BATCH = 500;

/** ARGV: prefix, caller, leaseId... Renews each lease; returns the ids that are gone or another app's. */
export const keepAliveManyScript = new LuaScript(
  lua(`${RENEW_LUA}
local now, lost = nowMs(), {}
for i = 3, #ARGV do
  if not renew(ARGV[i], ARGV[2], now) then lost[#lost + 1] = ARGV[i] end
end
return lost
`),
);

/**
 * ARGV: prefix, leaseId, caller. Ends the lease: its waiters are told (LEASE_NOT_FOUND), its keys
 * deleted, its locks and permit grants released and handed to their head waiters. Returns 1 when
 * the lease was alive, 0 (changing nothing) when it was gone or another app's.
 */
export const revokeLeaseScript = new LuaScript(
  lua(`
local id = ARGV[2]
local app = usableLease(id, ARGV[3])
if not app then return 0 end
redis.call('DEL', P .. 'lease:' .. id)
redis.call('HDEL', P .. 'lease-app', id)
redis.call('ZREM', P .. 'deadlines', id)
uncount('leases', app, id)
local touched = failWaiters(id)
for _, key in ipairs(boundKeys(id)) do
  if redis.call('HGET', P .. 'kv:' .. key, 'lease') == id then
    redis.call('DEL', P .. 'kv:' .. key)
    redis.call('ZREM', P .. 'kvs', key)
    emit({ type = 'delete', key = key, revision = nextRev(), leaseId = id, app = known(app) })
  end
  unbind(id, key)
end
for _, key in ipairs(lockKeys(id)) do
  local m = holderOf(key)
  if m and m.kind == 'n' and m.lease == id then
    drop(key, m)
    handoff(key)
  end
end
endLeasePools(id, touched)
redis.call('DEL', P .. 'll:' .. id, P .. 'lk:' .. id, P .. 'lw:' .. id, P .. 'lb:' .. id, P .. 'lp:' .. id)
return 1
`),
);

/**
 * ARGV: prefix, leaseId, caller. Returns '' when gone or another app's, else JSON
 * {ttlMs, owner, app, remainingMs, locks, keys}.
 */
export const getLeaseScript = new LuaScript(
  lua(`
local id = ARGV[2]
local k = P .. 'lease:' .. id
if not usableLease(id, ARGV[3]) then return '' end
local l = hash(k)
local locks, keys = {}, {}
for _, key in ipairs(lockKeys(id)) do
  local m = holderOf(key)
  if m and m.kind == 'n' and m.lease == id then locks[#locks + 1] = key end
end
for _, key in ipairs(boundKeys(id)) do
  if redis.call('HGET', P .. 'kv:' .. key, 'lease') == id then keys[#keys + 1] = key end
end
return cjson.encode({ ttlMs = tonumber(l.ttl), owner = l.owner, app = known(l.app), remainingMs = redis.call('PTTL', k), locks = locks, keys = keys })
`),
);

/**
 * ARGV: prefix, limit. Announces up to `limit` leases whose deadline has passed: Redis already
 * dropped their keys, locks and lease-bound values by TTL; this emits lease.expired, the lock
 * releases and key deletions, tells their waiters, hands their locks and pools on, uncounts their keys
 * and bytes (their leases and locks stopped counting at their deadlines). Idempotent, so any
 * server may run it. Returns {reaped, msUntilNextDeadline (-1 none), {id, app, id, app, ...}} with
 * the leases it announced (Redlock counts them across masters). A due `d|<key>` is a Dapr lock's.
 */
export const reapLeasesScript = new LuaScript(
  lua(`
local limit = tonumber(ARGV[2])
local now = nowMs()
local dl = P .. 'deadlines'
local due = redis.call('ZRANGEBYSCORE', dl, '-inf', now, 'LIMIT', 0, limit)
local ended = {}
-- A Dapr lock's deadline: announced by handoff once its key is gone (see announceDaprEnd).
local function daprDue(id)
  local key = string.sub(id, 3)
  local left = redis.call('PTTL', key)
  if left > 0 then
    redis.call('ZADD', dl, now + left, id)
  else
    redis.call('ZREM', dl, id)
    handoff(key)
  end
end
for _, id in ipairs(due) do
  local left = string.sub(id, 1, 2) ~= 'd|' and redis.call('PTTL', P .. 'lease:' .. id)
  if not left then
    daprDue(id)
  elseif left > 0 then
    -- Due by our clock a millisecond before Redis expires the key: look again at its real end.
    redis.call('ZADD', dl, now + left, id)
  else
    redis.call('ZREM', dl, id)
    local app = redis.call('HGET', P .. 'lease-app', id)
    redis.call('HDEL', P .. 'lease-app', id)
    uncount('leases', app, id)
    ended[#ended + 1] = id
    ended[#ended + 1] = app or ''
    emit({ type = 'lease.expired', key = id, revision = nextRev(), leaseId = id, app = known(app) })
    local touched = failWaiters(id)
    for _, key in ipairs(boundKeys(id)) do
      local kk = P .. 'kv:' .. key
      local lease = redis.call('HGET', kk, 'lease')
      if not lease or lease == id then
        redis.call('DEL', kk)
        redis.call('ZREM', P .. 'kvs', key)
        emit({ type = 'delete', key = key, revision = nextRev(), leaseId = id, app = known(app) })
      end
      unbind(id, key)
    end
    for _, key in ipairs(lockKeys(id)) do handoff(key) end
    endLeasePools(id, touched)
    redis.call('DEL', P .. 'll:' .. id, P .. 'lk:' .. id, P .. 'lw:' .. id, P .. 'lb:' .. id, P .. 'lp:' .. id)
  end
end
local nextDue = redis.call('ZRANGE', dl, 0, 0, 'WITHSCORES')
if #nextDue == 0 then return { #due, -1, ended } end
return { #due, math.max(0, tonumber(nextDue[2]) - now), ended }
`),
);
