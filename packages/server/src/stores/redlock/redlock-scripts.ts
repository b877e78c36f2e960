import { lua } from '../redis/lua-prelude.js';
import { LuaScript } from '../redis/lua-script.js';

/**
 * ARGV: prefix, key, localToken, token. Redlock's second phase on one master: while the grant
 * this master made (identified by the token it issued) still holds the lock, stamp it with the
 * quorum token and raise the master's counter to at least that token. Returns 1 when stamped.
 */
export const stampTokenScript = new LuaScript(
  lua(`
local key, mine, t = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local m = holderOf(key)
if not m or tonumber(m.token) ~= mine then return 0 end
if tonumber(redis.call('GET', P .. 'rev') or '0') < t then redis.call('SET', P .. 'rev', t) end
local lease = m.lease
if m.kind == 'd' then lease = 'dapr:' .. t end
-- The meta is one string (layout 2): written again whole, with the PTTL it had.
local mk = metaKey(key)
local s = encodeMeta(m.kind, t, tonumber(m.at), tonumber(m.hold), m.waiter, lease, m.app, m.owner)
redis.call('SET', mk, s, 'PX', redis.call('PTTL', mk))
return 1
`),
);

/** ARGV: prefix, key. The kv row as {value, version, rev, lease, app}, or {} when absent. */
export const getKvScript = new LuaScript(
  lua(`
local e = hash(P .. 'kv:' .. ARGV[2])
if not e then return {} end
return { e.value, tonumber(e.version), tonumber(e.rev), e.lease, e.app or '' }
`),
);
