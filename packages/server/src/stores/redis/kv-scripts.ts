import { lua } from './lua-prelude.js';
import type { PutOptions } from '@leasehold/core';
import type { ScriptArg } from './lua-script.js';
import { LuaScript, callerArg, idempotencyArgs } from './lua-script.js';

/**
 * ARGV: prefix, key, value, leaseId ('' none), ifVersion ('' none), fenceKey ('' none), fenceToken,
 * caller, idempotency key ('' none), its fingerprint, its window in ms. A key seen before replays the
 * first reply (with a 5th element, 1) or refuses another request ({'idemreused'}). Checks in the engine's order (fence, version, lease; another app's lease is no lease)
 * and changes nothing on a refusal. A lease-bound key carries the lease's remaining TTL, so it
 * vanishes with the lease, and the lease's app, for readers and events. The key joins the sorted
 * set `kvs` that listings range over (see listKeysScript). The row's `bytes` are
 * counted in its key scope (and kept in `lb:<lease>` for a bound row, see usage-lua).
 * Replies {'fenced'} | {'version', current} | {'nolease'} | {'idemreused'} | {'ok', version, revision, app}.
 */
export const putScript = new LuaScript(
  lua(`
local key, value, id, ifv, fk, ft = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local ik, ifp = ARGV[9], ARGV[10]
local first = idemFirst(ik, ifp)
if first == false then return { 'idemreused' } end
if first then
  local v, r, a = string.match(first, '^(%d+) (%d+) (.*)$')
  return { 'ok', tonumber(v), tonumber(r), a, 1 }
end
if fk ~= '' and not fenceHolds(fk, tonumber(ft)) then return { 'fenced' } end
local kk = P .. 'kv:' .. key
local e = hash(kk)
local version = 0
if e then version = tonumber(e.version) end
if ifv ~= '' and tonumber(ifv) ~= version then return { 'version', version } end
local ttl, app = -1, ''
if id ~= '' then
  app = usableLease(id, ARGV[8])
  ttl = redis.call('PTTL', P .. 'lease:' .. id)
  if not app or ttl <= 0 then return { 'nolease' } end
end
if e then uncountRow(key, e) end
countKey(key, 1, #value)
local rev = nextRev()
redis.call('HSET', kk, 'value', value, 'version', version + 1, 'rev', rev, 'lease', id, 'app', app, 'bytes', #value)
redis.call('ZADD', P .. 'kvs', 0, key)
if ttl > 0 then
  redis.call('PEXPIRE', kk, ttl)
  redis.call('HSET', P .. 'lb:' .. id, key, #value)
else
  redis.call('PERSIST', kk)
end
local ev = { type = 'put', key = key, revision = rev, value = value }
if id ~= '' then
  ev.leaseId = id
  ev.app = known(app)
end
emit(ev)
idemKeep(ik, ifp, string.format('%d %d %s', version + 1, rev, app), ARGV[11])
return { 'ok', version + 1, rev, app }
`),
);

/** The ARGV of putScript after the prefix, for a put with these options. */
export function putArgs(options: PutOptions): ScriptArg[] {
  const { key, value, leaseId, ifVersion, fence, app } = options;
  const fenceArgs = [fence?.key ?? '', fence?.token ?? 0];
  return [
    key,
    value,
    leaseId ?? '',
    ifVersion ?? '',
    ...fenceArgs,
    callerArg(app),
    ...idempotencyArgs(options),
  ];
}

/** ARGV: prefix, key. 1 when the key existed; its scope's counts come down with it. */
export const deleteScript = new LuaScript(
  lua(`
local key = ARGV[2]
local kk = P .. 'kv:' .. key
local e = hash(kk)
if not e then return 0 end
redis.call('DEL', kk)
redis.call('ZREM', P .. 'kvs', key)
local ev = { type = 'delete', key = key, revision = nextRev() }
uncountRow(key, e)
if e.lease ~= '' then
  ev.leaseId = e.lease
  ev.app = known(e.app)
end
emit(ev)
return 1
`),
);

/**
 * ARGV: prefix, keyPrefix, start (a ZRANGEBYLEX bound: '[' key or '(' key), limit. JSON array of
 * up to `limit` rows {key, value, version, revision, leaseId, app} from `kvs` in byte order while
 * keys start with keyPrefix. A key whose row has gone (its lease's TTL ended it in Redis before a
 * script could) leaves the index here, so the index never lists what `get` would not find.
 */
export const listKeysScript = new LuaScript(
  lua(`
local prefix, start, limit = ARGV[2], ARGV[3], tonumber(ARGV[4])
local out = {}
while #out < limit do
  local batch = redis.call('ZRANGEBYLEX', P .. 'kvs', start, '+', 'LIMIT', 0, limit - #out + 16)
  if #batch == 0 then break end
  for _, key in ipairs(batch) do
    if #out >= limit or string.sub(key, 1, #prefix) ~= prefix then return cjson.encode(out) end
    local e = hash(P .. 'kv:' .. key)
    if e then
      out[#out + 1] = { key = key, value = e.value, version = tonumber(e.version), revision = tonumber(e.rev), leaseId = known(e.lease), app = known(e.app) }
    else
      redis.call('ZREM', P .. 'kvs', key)
    end
    start = '(' .. key
  end
end
return cjson.encode(out)
`),
);
