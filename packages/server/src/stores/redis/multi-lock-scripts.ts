import { lua } from './lua-prelude.js';
import { LuaScript } from './lua-script.js';

/**
 * ARGV: prefix, leaseId, maxHoldMs (0 none), waitMs (0 never waits), waiterId (`m:…`), reply
 * channel, caller, key... (deduplicated). All or nothing in one step: each free key is first handed
 * to the waiters before this request (FIFO); then, when every key is the lease's or free with an
 * empty queue, the free ones are granted together. Else, with waitMs, the composite joins every
 * key's queue at once. Replies: {'nolease'} | {'ok', JSON tokens by key} |
 * {'busy'|'queued', JSON holders by key (held keys of other leases only), JSON ms by key until it
 * is worth looking again (a holder's PTTL, or the wait left of a composite that keeps it free)}.
 */
export const acquireAllScript = new LuaScript(
  lua(`
local id, holdMs, waitMs, wid, srv = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6]
local app, lpx = usableLease(id, ARGV[7])
if not app then return { 'nolease' } end
local keys, blocked = {}, {}
for i = 8, #ARGV do
  local key = ARGV[i]
  keys[#keys + 1] = key
  local _, _, wait = handoff(key)
  blocked[key] = wait
end
local holders, wake, ready = {}, {}, true
for _, key in ipairs(keys) do
  local m, v = holderOf(key)
  if v and not (m and m.kind == 'n' and m.lease == id) then
    ready = false
    wake[key] = redis.call('PTTL', key)
    if m then
      holders[key] = { leaseId = m.lease, owner = ownerOf(m, v), fencingToken = tonumber(m.token), app = known(m.app) }
    end
  elseif not v and redis.call('LLEN', P .. 'q:' .. key) > 0 then
    ready = false
    wake[key] = blocked[key] or 0
  end
end
if ready then return { 'ok', cjson.encode(grantAll(keys, id, holdMs, '', app, lpx)) } end
if waitMs <= 0 then return { 'busy', cjson.encode(holders), cjson.encode(wake) } end
local wk = P .. 'mw:' .. wid
redis.call('HSET', wk, 'keys', cjson.encode(keys), 'lease', id, 'deadline', nowMs() + waitMs, 'hold', holdMs, 'srv', srv)
redis.call('PEXPIRE', wk, waitMs + GRACE)
for _, key in ipairs(keys) do redis.call('RPUSH', P .. 'q:' .. key, wid) end
redis.call('INCRBY', P .. 'waiting', #keys)
redis.call('SADD', P .. 'lw:' .. id, wid)
redis.call('PEXPIRE', P .. 'lw:' .. id, lpx + GRACE)
return { 'queued', cjson.encode(holders), cjson.encode(wake) }
`),
);

/**
 * ARGV: prefix, leaseId, caller, key... (deduplicated). Releases each key the lease holds, then
 * hands each freed key on. Returns the statuses in key order: 'released', 'not_held' or
 * 'held_by_other' (also when the lease is another app's), as the single release answers.
 */
export const releaseAllScript = new LuaScript(
  lua(`
local id, caller = ARGV[2], ARGV[3]
local statuses, freed = {}, {}
for i = 4, #ARGV do
  local key = ARGV[i]
  local m, v = holderOf(key)
  if not v then
    statuses[#statuses + 1] = 'not_held'
    freed[#freed + 1] = key
  elseif m and m.lease == id and (caller == '' or (m.app and caller == '=' .. m.app)) then
    drop(key, m)
    statuses[#statuses + 1] = 'released'
    freed[#freed + 1] = key
  else
    statuses[#statuses + 1] = 'held_by_other'
  end
end
handOn(freed)
return statuses
`),
);

/**
 * ARGV: prefix, waiterId, key... Takes a composite waiter out of every queue and hands on the keys
 * it kept free. If a hand-off already granted it (the reply still in flight), those grants are
 * undone and handed on: a waiter that gave up is never granted. 'cancelled', 'undone' or 'gone'.
 */
export const cancelAllScript = new LuaScript(
  lua(`
local wid = ARGV[2]
if dropComposite(wid) then return 'cancelled' end
local undone = {}
for i = 3, #ARGV do
  local m = holderOf(ARGV[i])
  if m and m.waiter == wid then
    drop(ARGV[i], m)
    undone[#undone + 1] = ARGV[i]
  end
end
handOn(undone)
if #undone > 0 then return 'undone' end
return 'gone'
`),
);

/**
 * ARGV: prefix, waiterId, key... '' while the composite is queued, JSON tokens by key once it was
 * granted (every key held by one lease, at least one of them by this waiter), '-' when it is neither.
 */
export const allStatusScript = new LuaScript(
  lua(`
local wid = ARGV[2]
if redis.call('EXISTS', P .. 'mw:' .. wid) == 1 then return '' end
local tokens, leases, lease = {}, {}, nil
for i = 3, #ARGV do
  local m = holderOf(ARGV[i])
  if not (m and m.kind == 'n') then return '-' end
  tokens[ARGV[i]] = tonumber(m.token)
  leases[#leases + 1] = m.lease
  if m.waiter == wid then lease = m.lease end
end
for _, l in ipairs(leases) do
  if l ~= lease then return '-' end
end
return cjson.encode(tokens)
`),
);
