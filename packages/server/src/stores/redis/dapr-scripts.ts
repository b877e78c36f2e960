import { lua } from './lua-prelude.js';
import { LuaScript } from './lua-script.js';

/**
 * ARGV: prefix, key, owner, ttlMs, app. Dapr TryLock exactly as a sidecar's redis lock writes it
 * (the owner string as the key's value, the TTL on the key) plus a side `meta` with the token and
 * the app. The key is the implicit lease, which belongs to `app`; its deadline goes to the reaper's
 * `deadlines` so its expiry is announced. Returns {'ok', token} or a busy holder reply.
 */
export const daprTryLockScript = new LuaScript(
  lua(`
local key, owner, ttl, app = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local m, v = holderOf(key)
if not v then
  -- A key kept free for a multi-lock waiter is not taken around it (FIFO), as a native acquire.
  local _, _, blocked = handoff(key)
  if blocked then return holderReply('busy') end
  m, v = holderOf(key)
end
if v then return holderReply('busy', m, v) end
local token = nextRev()
local now = nowMs()
redis.call('SET', key, owner, 'NX', 'PX', ttl)
-- Overwritten below by one SET with the key's own TTL: uncounted, not deleted.
uncountMeta(key, readMeta(key))
-- Counted until the key's own TTL: a Dapr lock stops counting when Redis expires it.
countUntil('locks', app, key, now + ttl, now)
countUntil('leases', app, daprLease(key), now + ttl, now)
redis.call('SET', metaKey(key), encodeMeta('d', token, now, 0, '', 'dapr:' .. token, app, owner), 'PX', ttl)
redis.call('ZADD', P .. 'locks', 0, key)
-- Its end, for the reaper to announce (see announceDaprEnd).
redis.call('HSET', P .. 'dapr-ends', key, token .. ' ' .. app)
redis.call('ZADD', P .. 'deadlines', now + ttl, 'd|' .. key)
emitLock('lock.acquired', key, token, 'dapr:' .. token, known(app), token)
return { 'ok', token }
`),
);

/**
 * ARGV: prefix, key, owner, caller ('' for an admin, else '=' .. app). Dapr Unlock: 0 success, 1
 * absent, 2 someone else's. A native holder matches when its lease's owner is `owner`; a foreign key
 * matches on its value, as Dapr compares. A lock of another app is someone else's, whatever its owner.
 */
export const daprUnlockScript = new LuaScript(
  lua(`
local key, owner, caller = ARGV[2], ARGV[3], ARGV[4] or ''
local m, v = holderOf(key)
if not v then return 1 end
if caller ~= '' and m and m.app and m.app ~= '' and caller ~= '=' .. m.app then return 2 end
if ownerOf(m, v) ~= owner then return 2 end
drop(key, m)
handoff(key)
return 0
`),
);
