/**
 * Lua for composite waiters (all-or-nothing multi-locks that wait; docs/adr/0027), spliced into the
 * prelude before the hand-off, which it extends. A composite's id starts `m:`; it sits in the queue
 * `q:<key>` of every key it wants, pushed there by one script, so all queues are sub-sequences of one
 * arrival order and the earliest waiter of any cycle heads all its queues (no deadlock). Its record
 * is `mw:<id>` {keys (JSON), lease, deadline, hold, srv}: not `w:<id>`, so a server of an older
 * version, which reads only `w:`, skips the entry (the composite then times out) instead of granting
 * one key of it. Each queue entry counts once in `waiting`, as `describe` counts it in each queue.
 * `handoff` is declared before this and defined after it (a free key left by a composite is handed on).
 */
export const MULTI_LUA = `
local function isComposite(wid) return string.sub(wid, 1, 2) == 'm:' end
local function compositeOf(wid)
  local c = hash(P .. 'mw:' .. wid)
  if c then c.keys = cjson.decode(c.keys) end
  return c
end
local function handOn(keys)
  for _, key in ipairs(keys) do handoff(key) end
end
-- Takes composite wid out of every queue but except's (already popped) and out of its lease's
-- index; returns the keys it headed, which its leaving may free for the next waiter.
local function leave(wid, c, except)
  redis.call('DEL', P .. 'mw:' .. wid)
  redis.call('SREM', P .. 'lw:' .. c.lease, wid)
  local headed = {}
  for _, key in ipairs(c.keys) do
    if key ~= except then
      local q = P .. 'q:' .. key
      if redis.call('LINDEX', q, 0) == wid then headed[#headed + 1] = key end
      unqueued(redis.call('LREM', q, 1, wid))
    end
  end
  return headed
end
-- Drops composite wid (timed out, cancelled, or its lease ended) and hands on the keys it blocked.
local function dropComposite(wid)
  local c = compositeOf(wid)
  if c then handOn(leave(wid, c)) end
  return c
end
-- Whether key may go to composite wid of lease: held by that lease already, or free with wid first.
local function readyFor(key, wid, lease)
  local m, v = holderOf(key)
  if v then return m ~= nil and m.kind == 'n' and m.lease == lease end
  return redis.call('LINDEX', P .. 'q:' .. key, 0) == wid
end
-- Grants every key not already the lease's (each was checked free or the lease's); tokens by key. The
-- lapsed holders are announced first, so the set's lock.acquired revisions are consecutive.
local function grantAll(keys, lease, holdMs, wid, app, lpx)
  local tokens, left = {}, {}
  for i, key in ipairs(keys) do
    local m, v = holderOf(key)
    if v then tokens[key] = tonumber(m.token) else left[i] = reapLapsed(key) or false end
  end
  for i, key in ipairs(keys) do
    if not tokens[key] then tokens[key] = grant(key, lease, holdMs, wid, app, lpx, left[i]) end
  end
  return tokens
end
-- Composite wid, just popped from the queue of free key. Granted every key when it heads all its
-- queues and all are free (or its lease's): true. Blocked: put back first, false and its wait left.
-- Dead (record gone, wait over, lease ended): it leaves every queue and nil is returned, or true when
-- that hand-on gave key away.
local function offerComposite(key, wid, now)
  local c = compositeOf(wid)
  if not c then
    unqueued(1)
    return nil
  end
  local lpx = redis.call('PTTL', P .. 'lease:' .. c.lease)
  if lpx > 0 and tonumber(c.deadline) > now then
    for _, k in ipairs(c.keys) do
      if k ~= key and not readyFor(k, wid, c.lease) then
        redis.call('LPUSH', P .. 'q:' .. key, wid)
        return false, tonumber(c.deadline) - now
      end
    end
    unqueued(1)
    leave(wid, c, key)
    local app = redis.call('HGET', P .. 'lease:' .. c.lease, 'app') or ''
    local tokens = grantAll(c.keys, c.lease, tonumber(c.hold), wid, app, lpx)
    redis.call('PUBLISH', c.srv, 'g ' .. wid .. ' ' .. cjson.encode(tokens))
    return true
  end
  unqueued(1)
  local headed = leave(wid, c, key)
  if lpx <= 0 then redis.call('PUBLISH', c.srv, 'l ' .. wid) end
  handOn(headed)
  if #headed > 0 and redis.call('EXISTS', key) == 1 then return true end
  return nil
end
`;
