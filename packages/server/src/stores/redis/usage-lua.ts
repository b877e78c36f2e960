/**
 * Lua for the usage counts quotas read, spliced into the prelude so every script that changes
 * state keeps them in the same atomic step (docs/stores-redis.md, "Usage counts").
 *
 * - Leases and locks by app: sorted sets `app-leases:<app>` and `app-locks:<app>` (`anon-leases`
 *   and `anon-locks` for leases without an app) whose scores are deadlines (Redis ms). A member
 *   counts while its score is not past, so an expiry by TTL, a lapsed maxHoldMs or a Dapr lock's
 *   own key TTL stops counting at that same millisecond with no reaper; ends the scripts see
 *   (revoke, release, hand-off) remove the member. Each set expires when its last deadline passes,
 *   and stale members are trimmed on every new one (a lock grant: one in 16). Each set is listed in
 *   `usage-sets:<kind>` when it is created, so metrics sum them (layout 2: no store-wide set is
 *   written on every grant and release).
 * - Keys, value bytes and counters by key scope: hash `scope:<scope>` {keys, bytes, counters},
 *   HINCRBY'd by the scripts. A kv row written by this version carries `bytes` (rows without it
 *   were never counted and are never uncounted); a lease-bound row's bytes are also kept in
 *   `lb:<lease>` (no TTL), so the reaper can uncount a row that Redis expired with its lease.
 */
export const USAGE_LUA = `
-- The scope part of a store key, as core's scopeOfKey: kv||orders||x -> orders||, kv||x -> ''.
local function scopeOf(key)
  local a = string.find(key, '||', 1, true)
  if not a then return '' end
  local b = string.find(key, '||', a + 2, true)
  if not b then return '' end
  return string.sub(key, a + 2, b + 1)
end
-- The set an app's leases or locks ('leases', 'locks') count in; anon-<kind> without an app.
local function usageSet(kind, app)
  if not app or app == '' then return P .. 'anon-' .. kind end
  return P .. 'app-' .. kind .. ':' .. app
end
-- Counts member in its app's set of kind until at (Redis ms). trim false skips dropping the stale
-- members (they count no more anyway): a lock grant trims one time in 16.
local function countUntil(kind, app, member, at, now, trim)
  if at <= now then return end
  local z = usageSet(kind, app)
  if trim ~= false then redis.call('ZREMRANGEBYSCORE', z, '-inf', '(' .. now) end
  redis.call('ZADD', z, at, member)
  local pttl = redis.call('PTTL', z)
  if pttl < at - now then
    redis.call('PEXPIRE', z, at - now)
    -- No TTL: the ZADD has just made the set (each one gets its TTL at once), so metrics learn of it.
    if pttl == -1 then redis.call('SADD', P .. 'usage-sets:' .. kind, z) end
  end
end
local function uncount(kind, app, member)
  redis.call('ZREM', usageSet(kind, app), member)
end
-- The member a Dapr lock's implicit lease counts as among its app's leases.
local function daprLease(key) return 'dapr:' .. key end
-- Uncounts whatever lock m:<key> describes (before it is deleted or overwritten).
local function uncountMeta(key, m)
  if not m then return end
  uncount('locks', m.app, key)
  if m.kind == 'd' then uncount('leases', m.app, daprLease(key)) end
end
local function countKey(key, keys, bytes)
  local u = P .. 'scope:' .. scopeOf(key)
  redis.call('HINCRBY', u, 'keys', keys)
  redis.call('HINCRBY', u, 'bytes', bytes)
end
-- Unbinds key from lease id, uncounting its row (still there, or expired with the lease).
local function unbind(id, key)
  redis.call('SREM', P .. 'lk:' .. id, key)
  local bytes = redis.call('HGET', P .. 'lb:' .. id, key)
  if bytes then
    countKey(key, -1, -tonumber(bytes))
    redis.call('HDEL', P .. 'lb:' .. id, key)
  end
end
-- Uncounts kv row e of key, about to be deleted or overwritten.
local function uncountRow(key, e)
  if e.lease and e.lease ~= '' then unbind(e.lease, key)
  elseif e.bytes then countKey(key, -1, -tonumber(e.bytes)) end
end
-- The keys bound to lease id: lb (this version) and lk (leases from before usage counts).
local function boundKeys(id)
  local keys = redis.call('HKEYS', P .. 'lb:' .. id)
  local seen = {}
  for _, k in ipairs(keys) do seen[k] = true end
  for _, k in ipairs(redis.call('SMEMBERS', P .. 'lk:' .. id)) do
    if not seen[k] then keys[#keys + 1] = k end
  end
  return keys
end
`;
