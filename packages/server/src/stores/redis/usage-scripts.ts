import { lua } from './lua-prelude.js';
import { LuaScript } from './lua-script.js';

/**
 * ARGV: prefix, app, scope, kvKey ('' none), counter ('' none). What a tenant holds (see
 * usage-lua): {leases, locks, keys, bytes, counters, kvKeyBytes (-1 absent or not asked),
 * counterExists (1, 0, or -1 not asked)}. Leases and locks count while their deadlines lie ahead.
 */
export const usageScript = new LuaScript(
  lua(`
local app, scope, kvKey, counter = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now = nowMs()
local function live(kind) return redis.call('ZCOUNT', P .. 'app-' .. kind .. ':' .. app, now, '+inf') end
local u = hash(P .. 'scope:' .. scope) or {}
local kvBytes = -1
if kvKey ~= '' and redis.call('EXISTS', P .. 'kv:' .. kvKey) == 1 then
  kvBytes = redis.call('HSTRLEN', P .. 'kv:' .. kvKey, 'value')
end
local counterExists = -1
if counter ~= '' then counterExists = redis.call('EXISTS', P .. 'ctr:' .. counter) end
return {
  live('leases'), live('locks'), tonumber(u.keys or 0), tonumber(u.bytes or 0), tonumber(u.counters or 0),
  kvBytes, counterExists,
}
`),
);

/**
 * ARGV: prefix, name, delta, idempotency key ('' or absent: none), its fingerprint, its window in ms.
 * Adds to a counter; a new one counts in its key scope. Returns the value ({value} for a repeated
 * key: the first one, nothing changed; {'idemreused'} for a key seen with another delta).
 */
export const counterAddScript = new LuaScript(
  lua(`
local first = idemFirst(ARGV[4], ARGV[5])
if first == false then return { 'idemreused' } end
if first then return { tonumber(first) } end
local k = P .. 'ctr:' .. ARGV[2]
local new = redis.call('EXISTS', k) == 0
local value = redis.call('INCRBY', k, ARGV[3])
if new then redis.call('HINCRBY', P .. 'scope:' .. scopeOf(ARGV[2]), 'counters', 1) end
idemKeep(ARGV[4], ARGV[5], string.format('%d', value), ARGV[6])
return value
`),
);

/** ARGV: prefix, name, value. Sets a counter; a new one counts in its key scope. */
export const counterSetScript = new LuaScript(
  lua(`
local k = P .. 'ctr:' .. ARGV[2]
local new = redis.call('EXISTS', k) == 0
redis.call('SET', k, ARGV[3])
if new then redis.call('HINCRBY', P .. 'scope:' .. scopeOf(ARGV[2]), 'counters', 1) end
return 1
`),
);

/**
 * ARGV: prefix. The store's live leases (Dapr locks' implicit ones included), held locks, queued
 * waiters and semaphore permits held (kept by the pool scripts), for metrics: a ZCOUNT per app's
 * set (see usage-lua) and two GETs. Sets that have expired leave the list (a set made again is
 * listed again).
 */
export const statsScript = new LuaScript(
  lua(`
local now = nowMs()
local function live(kind)
  local n, sets = 0, P .. 'usage-sets:' .. kind
  for _, z in ipairs(redis.call('SMEMBERS', sets)) do
    if redis.call('EXISTS', z) == 1 then n = n + redis.call('ZCOUNT', z, now, '+inf')
    else redis.call('SREM', sets, z) end
  end
  return n
end
local function atLeast0(name)
  local n = tonumber(redis.call('GET', P .. name) or '0')
  if n < 0 then return 0 end
  return n
end
return { live('leases'), live('locks'), atLeast0('waiting'), atLeast0('permits') }
`),
);
