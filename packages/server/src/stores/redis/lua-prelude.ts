import { MULTI_LUA } from './multi-lua.js';
import { POOL_LUA } from './pool-lua.js';
import { USAGE_LUA } from './usage-lua.js';

/**
 * Lua shared by every script: key names, the holder check, grant, drop and hand-off. `P` is the
 * store's key prefix (ARGV[1]), set by each script's header (lua-script.ts). Holding a lock means
 * the lock key exists and its value is either the native marker `leasehold:lease:<leaseId>` or, for a
 * Dapr lock, the Dapr owner string (exactly what a Dapr sidecar writes). `m:<key>` (layout 2, one
 * string written with its PX by one SET; see encodeMeta) carries the token; a value it does not
 * describe (e.g. a key SET by a Dapr sidecar) is a foreign holder. A native lock's meta outlives
 * its key by a grace period, so the release of a lapsed lock is still announced (with its token) by
 * the next script that touches the key; a Dapr lock's meta lives exactly as long as its key,
 * because a sidecar may SET the same owner again and must not inherit an old token. `meta.app` is
 * the app of the holding lease (a Dapr lock's implicit lease included); leases hold theirs in
 * `lease:<id>`. `ll:<id>` holds the member '' from the lease's grant on, so the set (and its TTL,
 * set by the grant and every renewal) is there before any lock: a lock grant needs no PEXPIRE.
 */
export const PRELUDE = `
local MARK = 'leasehold:lease:'
local GRACE = 60000
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function hash(k)
  local r = redis.call('HGETALL', k)
  if #r == 0 then return nil end
  local m = {}
  for i = 1, #r, 2 do m[r[i]] = r[i + 1] end
  return m
end
-- Each event goes into a capped stream whose ids are revisions, in the same script: servers read it
-- live (XREAD) and replay what they missed from it (see watch.ts). Revisions only rise.
local function publish(rev, s)
  redis.call('XADD', P .. 'history', 'MAXLEN', '~', 10000, string.format('%d', rev), 'e', s)
end
local function emit(ev) publish(ev.revision, cjson.encode(ev)) end
-- A lock event, as emit would encode it but built by hand (half the cost of encoding a table):
-- lease, app and token are left out when nil; numbers are integers, written by %d.
local function emitLock(kind, key, rev, lease, app, token)
  local s = '{"type":"' .. kind .. '","key":' .. cjson.encode(key) .. ',"revision":' .. string.format('%d', rev)
  if lease then s = s .. ',"leaseId":' .. cjson.encode(lease) end
  if app then s = s .. ',"app":' .. cjson.encode(app) end
  if token then s = s .. ',"fencingToken":' .. string.format('%d', token) end
  publish(rev, s .. '}')
end
-- An app for a reply or event: nil (left out) when unknown, as for a lease from before leases had apps.
local function known(app)
  if not app or app == '' then return nil end
  return app
end
-- The app of a live lease the caller may use ('' when it has none) and the lease's PTTL; nil when
-- gone or another app's. The caller is '' for an admin (any lease), else '=' .. its app (see callerArg).
local function usableLease(id, caller)
  local k = P .. 'lease:' .. id
  local pttl = redis.call('PTTL', k)
  if pttl == -2 then return nil end
  local app = redis.call('HGET', k, 'app')
  if caller ~= '' and (not app or caller ~= '=' .. app) then return nil end
  return app or '', pttl
end
local function nextRev() return redis.call('INCR', P .. 'rev') end
-- A grant's meta in one string: 'kind|token|at|hold|waiter|lease|#app|' .. app .. owner. Only the
-- last two are free text, so they go last, the app's length first (lease and waiter ids hold no '|').
local function encodeMeta(kind, token, at, hold, waiter, lease, app, owner)
  return string.format('%s|%d|%d|%d|%s|%s|%d|', kind, token, at, hold, waiter, lease, #app) .. app .. owner
end
local function metaKey(key) return P .. 'm:' .. key end
local function readMeta(key)
  local s = redis.call('GET', metaKey(key))
  if not s then return nil end
  local f, i = {}, 1
  for n = 1, 7 do
    local j = string.find(s, '|', i, true)
    f[n] = string.sub(s, i, j - 1)
    i = j + 1
  end
  local n = tonumber(f[7])
  return {
    kind = f[1], token = f[2], at = f[3], hold = f[4], waiter = f[5], lease = f[6],
    app = string.sub(s, i, i + n - 1), owner = string.sub(s, i + n),
  }
end
-- The lock keys of lease id (ll:<id> less its member '').
local function lockKeys(id)
  local keys = {}
  for _, k in ipairs(redis.call('SMEMBERS', P .. 'll:' .. id)) do
    if k ~= '' then keys[#keys + 1] = k end
  end
  return keys
end
-- An idempotency key's first result, kept as '<fingerprint> <result>' in 'idem:<key>' with a PX of
-- the window: nil for a key not seen (or ik ''), false for one seen with another request.
local function idemFirst(ik, fp)
  if not ik or ik == '' then return nil end
  local first = redis.call('GET', P .. 'idem:' .. ik)
  if not first then return nil end
  local sp = string.find(first, ' ', 1, true)
  if string.sub(first, 1, sp - 1) ~= fp then return false end
  return string.sub(first, sp + 1)
end
-- Remembers an op's result under its key, in the same script as the write (so both or neither).
local function idemKeep(ik, fp, result, windowMs)
  if ik and ik ~= '' then redis.call('SET', P .. 'idem:' .. ik, fp .. ' ' .. result, 'PX', windowMs) end
end
${USAGE_LUA}
local function holderOf(key)
  local v = redis.call('GET', key)
  if not v then return nil, nil end
  local m = readMeta(key)
  if m and ((m.kind == 'n' and v == MARK .. m.lease) or (m.kind == 'd' and v == m.owner)) then return m, v end
  return nil, v
end
local function ownerOf(m, v)
  if not m then return v end
  if m.kind == 'd' then return m.owner end
  local o = redis.call('HGET', P .. 'lease:' .. m.lease, 'owner')
  if o and o ~= '' then return o end
  return nil
end
-- Returns the token and the lock's TTL (its PTTL), or nil for a lease gone. app, lpx: the lease's
-- app and PTTL when the caller already read them (usableLease), else read here. m: the key's meta
-- when the caller read it, false when it knows there is none, nil to read it here.
local function grant(key, leaseId, holdMs, waiterId, app, lpx, m)
  lpx = lpx or redis.call('PTTL', P .. 'lease:' .. leaseId)
  if lpx <= 0 then return nil end
  local px = lpx
  local now = nowMs()
  local hold = 0
  if holdMs > 0 then
    hold = now + holdMs
    if holdMs < px then px = holdMs end
  end
  app = app or redis.call('HGET', P .. 'lease:' .. leaseId, 'app') or ''
  local token = nextRev()
  redis.call('SET', key, MARK .. leaseId, 'PX', px)
  if m == nil then m = readMeta(key) end
  -- The old meta is overwritten below, by one SET with its PX: uncounted, not deleted.
  if m then uncountMeta(key, m) end
  -- Trimming stale members on every grant is a call per set per cycle; the revision spreads it out.
  countUntil('locks', app, key, now + px, now, token % 16 == 0)
  redis.call('SET', metaKey(key), encodeMeta('n', token, now, hold, waiterId, leaseId, app, ''), 'PX', px + GRACE)
  -- ll:<leaseId> already exists with the lease's TTL and grace (its '' member): no PEXPIRE here.
  redis.call('SADD', P .. 'll:' .. leaseId, key)
  redis.call('ZADD', P .. 'locks', 0, key)
  emitLock('lock.acquired', key, token, leaseId, known(app), token)
  return token, px
end
local function drop(key, m)
  -- A foreign holder may sit over the meta of a Dapr lock a sidecar deleted: uncount that one.
  uncountMeta(key, m or readMeta(key))
  redis.call('DEL', key, metaKey(key))
  redis.call('ZREM', P .. 'locks', key)
  local rev = nextRev()
  if not m then
    emitLock('lock.released', key, rev)
    return
  end
  if m.kind == 'n' then redis.call('SREM', P .. 'll:' .. m.lease, key) end
  if m.kind == 'd' then
    redis.call('HDEL', P .. 'dapr-ends', key)
    redis.call('ZREM', P .. 'deadlines', 'd|' .. key)
  end
  emitLock('lock.released', key, rev, m.lease, known(m.app), tonumber(m.token))
end
-- A Dapr lock's end is kept apart from its meta (which lives exactly as long as its key) in 'dapr-ends'
-- ('<token> <app>'), with its deadline in 'deadlines' as 'd|' .. key, so the reaper, or the next script
-- that finds the key gone, announces it. Expired (the meta gone with the key): the implicit lease's end
-- too; deleted early by a sidecar: only the release.
local function announceDaprEnd(key, m)
  local ends = P .. 'dapr-ends'
  local d = redis.call('HGET', ends, key)
  if not d then return end
  redis.call('HDEL', ends, key)
  redis.call('ZREM', P .. 'deadlines', 'd|' .. key)
  local token, app = string.match(d, '^(%d+) (.*)$')
  local lease = 'dapr:' .. token
  if not m then
    redis.call('ZREM', P .. 'locks', key)
    emit({ type = 'lease.expired', key = lease, revision = nextRev(), leaseId = lease, app = known(app) })
  end
  emitLock('lock.released', key, nextRev(), lease, known(app), tonumber(token))
end
-- Only for a key that does not exist (handoff checks). Returns the meta left in place (a Dapr
-- lock's, or nil): what a grant of the key must still uncount and delete.
local function reapLapsed(key)
  local m = readMeta(key)
  if not m or m.kind == 'd' then announceDaprEnd(key, m) end
  if not m or m.kind ~= 'n' then return m end
  uncountMeta(key, m)
  redis.call('DEL', metaKey(key))
  redis.call('ZREM', P .. 'locks', key)
  redis.call('SREM', P .. 'll:' .. m.lease, key)
  emitLock('lock.released', key, nextRev(), m.lease, known(m.app), tonumber(m.token))
  return nil
end
-- 'waiting' counts queue entries for metrics; queues from before it may take it below 0 (read as 0).
local function unqueued(n)
  if n > 0 then redis.call('DECRBY', P .. 'waiting', n) end
end
local handoff -- defined below; composites (MULTI_LUA) hand on the keys they leave
${MULTI_LUA}
local function dropWaiter(wid)
  if isComposite(wid) then return dropComposite(wid) end
  local w = hash(P .. 'w:' .. wid)
  redis.call('DEL', P .. 'w:' .. wid)
  if w then
    -- A permit waiter (it has 'permits') queues in its pool's pq:<key>, a lock waiter in q:<key>.
    local q = 'q:'
    if w.permits then q = 'pq:' end
    unqueued(redis.call('LREM', P .. q .. w.key, 1, wid))
    redis.call('SREM', P .. 'lw:' .. w.lease, wid)
  end
  return w
end
-- Grants a free key (no value, no meta) to its first live waiter; true when one got it. False and
-- a wait in ms when a composite heads the queue but cannot have all its keys yet: the key stays
-- free, and nobody may take it around that waiter before the wait ends.
local function passOn(key)
  local now
  while true do
    local wid = redis.call('LPOP', P .. 'q:' .. key)
    if not wid then return false end
    now = now or nowMs()
    local composite = isComposite(wid)
    if composite then
      local got, wait = offerComposite(key, wid, now)
      if got ~= nil then return got, wait end
    else
      unqueued(1)
    end
    local w = not composite and dropWaiter(wid)
    if w and tonumber(w.deadline) > now then
      local token = grant(key, w.lease, tonumber(w.hold), wid)
      if token then
        redis.call('PUBLISH', w.srv, 'g ' .. wid .. ' ' .. token .. ' ' .. key)
        return true
      end
      redis.call('PUBLISH', w.srv, 'l ' .. wid)
    end
  end
end
-- Hands a lock nobody holds to its first live waiter, announcing a lapsed holder's release first.
-- Returns true when a waiter got it, else false, the meta still in place (see reapLapsed) and, when
-- a composite waiter blocks the key, that waiter's wait left (ms). absent: the caller has just seen
-- the key absent, so it is not read again. (Assigns the local declared above MULTI_LUA.)
function handoff(key, absent)
  if not absent and redis.call('EXISTS', key) == 1 then return false end
  local m = reapLapsed(key)
  local got, wait = passOn(key)
  if got then return true end
  return false, m, wait
end
-- {status, holderLease, holderOwner, holderToken, holderApp}; a foreign holder has no lease.
local function holderReply(status, m, v)
  if not m then return { status, '', ownerOf(m, v) or '', 0, '' } end
  return { status, m.lease, ownerOf(m, v) or '', tonumber(m.token), m.app or '' }
end
${POOL_LUA}
`;

/** One operation's Lua, run after the prelude with `P` (the key prefix) and `ARGV` set. */
export interface LuaSource {
  readonly body: string;
}

/** Builds one script: the prelude, then the operation's body (see LuaScript for how it runs). */
export function lua(body: string): LuaSource {
  return { body };
}
