import { lua } from './lua-prelude.js';
import { LuaScript } from './lua-script.js';

/**
 * ARGV: prefix, key, leaseId, maxHoldMs (0 none), waitMs (0 never waits), waiterId, reply channel,
 * caller. Hands a free lock to its live head waiter first, so FIFO order holds, then grants it to
 * this lease if still free and no composite waiter heads its queue. A busy lock with waitMs queues
 * the waiter. Another app's lease is no lease. Replies: {'nolease'} | {'ok', token, pttl, isNew, app} |
 * {'busy'|'queued', holderLease, holderOwner, holderToken, holderApp, pttl}; a lock kept free for a
 * composite waiter has no holder, and pttl is then that waiter's wait left.
 */
export const acquireScript = new LuaScript(
  lua(`
local key, id, holdMs, waitMs, wid, srv = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7]
local app, lpx = usableLease(id, ARGV[8])
if not app then return { 'nolease' } end
local m, v = holderOf(key)
local left, blocked = nil, nil
if not v then
  local passed
  passed, left, blocked = handoff(key, true)
  if passed then m, v = holderOf(key) end
end
if m and m.kind == 'n' and m.lease == id then return { 'ok', tonumber(m.token), redis.call('PTTL', key), 0, app } end
if not v and not blocked then
  local token, px = grant(key, id, holdMs, '', app, lpx, left or false)
  return { 'ok', token, px, 1, app }
end
local reply = holderReply('busy', m, v)
reply[6] = blocked or redis.call('PTTL', key)
if waitMs > 0 then
  local wk = P .. 'w:' .. wid
  redis.call('HSET', wk, 'key', key, 'lease', id, 'deadline', nowMs() + waitMs, 'hold', holdMs, 'srv', srv)
  redis.call('PEXPIRE', wk, waitMs + GRACE)
  redis.call('RPUSH', P .. 'q:' .. key, wid)
  redis.call('INCR', P .. 'waiting')
  redis.call('SADD', P .. 'lw:' .. id, wid)
  redis.call('PEXPIRE', P .. 'lw:' .. id, redis.call('PTTL', P .. 'lease:' .. id) + GRACE)
  reply[1] = 'queued'
end
return reply
`),
);

/**
 * ARGV: prefix, key, waiterId. Takes a waiter out of the queue. If a hand-off already granted it
 * the lock (its reply may still be in flight), that grant is undone and passed on: a waiter that
 * gave up is never granted. Returns 'cancelled', 'undone' or 'gone'.
 */
export const cancelWaitScript = new LuaScript(
  lua(`
local key, wid = ARGV[2], ARGV[3]
if redis.call('LREM', P .. 'q:' .. key, 1, wid) > 0 then
  unqueued(1)
  dropWaiter(wid)
  return 'cancelled'
end
local m = holderOf(key)
if m and m.waiter == wid then
  drop(key, m)
  handoff(key)
  return 'undone'
end
return 'gone'
`),
);

/** ARGV: prefix, key, waiterId. 0 while queued, the token once granted, -1 when it is neither. */
export const waiterStatusScript = new LuaScript(
  lua(`
local key, wid = ARGV[2], ARGV[3]
if redis.call('EXISTS', P .. 'w:' .. wid) == 1 then return 0 end
local m = holderOf(key)
if m and m.waiter == wid then return tonumber(m.token) end
return -1
`),
);

/**
 * ARGV: prefix, key. Grants a lapsed lock to its head waiter; returns the holder's PTTL (-2 free), or
 * the wait left of the composite waiter that keeps it free: when to look again.
 */
export const handoffScript = new LuaScript(
  lua(`
local key = ARGV[2]
local _, _, blocked = handoff(key)
return blocked or redis.call('PTTL', key)
`),
);

/**
 * ARGV: prefix, key, leaseId, caller. Returns {status, app of the released lease}, status
 * 'released', 'not_held' or 'held_by_other' (also when the lease is another app's).
 */
export const releaseScript = new LuaScript(
  lua(`
local key, id, caller = ARGV[2], ARGV[3], ARGV[4]
local m, v = holderOf(key)
if not v then
  handoff(key)
  return { 'not_held', '' }
end
if m and m.lease == id and (caller == '' or (m.app and caller == '=' .. m.app)) then
  drop(key, m)
  passOn(key)
  return { 'released', m.app or '' }
end
return { 'held_by_other', '' }
`),
);

/** ARGV: prefix, key. Releases whoever holds the key (a foreign Dapr holder too); 1 when it was held. */
export const forceReleaseScript = new LuaScript(
  lua(`
local key = ARGV[2]
local m, v = holderOf(key)
if v then drop(key, m) end
handoff(key)
if v then return 1 end
return 0
`),
);

/** ARGV: prefix, key, token. 1 while `token` is the current grant of the lock. */
export const checkFenceScript = new LuaScript(
  lua(`
local m = holderOf(ARGV[2])
if m and tonumber(m.token) == tonumber(ARGV[3]) then return 1 end
return 0
`),
);

const DESCRIBE = `
local function describe(key)
  local m, v = holderOf(key)
  local d = { key = key, held = v ~= nil, waiters = redis.call('LLEN', P .. 'q:' .. key) }
  if v then
    local o = ownerOf(m, v)
    if o then d.owner = o end
    local pttl = redis.call('PTTL', key)
    if pttl >= 0 then d.expiresInMs = pttl end
    if m then
      d.leaseId = m.lease
      d.app = known(m.app)
      d.fencingToken = tonumber(m.token)
      d.acquiredAt = tonumber(m.at)
    end
  end
  return d
end
`;

/** ARGV: prefix, key. JSON LockInfo. */
export const describeLockScript = new LuaScript(
  lua(`${DESCRIBE}
return cjson.encode(describe(ARGV[2]))
`),
);

/** ARGV: prefix, keyPrefix, limit. JSON array of held LockInfo in key order; prunes stale index entries. */
export const listLocksScript = new LuaScript(
  lua(`${DESCRIBE}
local prefix, limit = ARGV[2], tonumber(ARGV[3])
local out = {}
local start = '[' .. prefix
while #out < limit do
  local batch = redis.call('ZRANGEBYLEX', P .. 'locks', start, '+', 'LIMIT', 0, 100)
  if #batch == 0 then break end
  for _, key in ipairs(batch) do
    if string.sub(key, 1, #prefix) ~= prefix then return cjson.encode(out) end
    local d = describe(key)
    if d.held then
      if #out < limit then out[#out + 1] = d end
    else
      redis.call('ZREM', P .. 'locks', key)
    end
    start = '(' .. key
  end
end
return cjson.encode(out)
`),
);
