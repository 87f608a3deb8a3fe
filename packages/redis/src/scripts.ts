import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-client';

/*
 * Every write is one Lua script, so a check and the write it guards are atomic on the server
 * (and on a Cluster, because all keys of one account share a slot). Scripts return arrays of
 * strings/integers only; numbers that may exceed 2^31 travel as strings.
 */

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
  readonly keys: number;
}

function script(name: string, keys: number, source: string): LuaScript {
  return { name, source, keys, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * CAS put. KEYS: record. ARGV: expectedVersion, fencingToken or '', key id or '' (plain),
 * channel, message, field/value pairs of the new record (without fencingToken, which the
 * script decides: the caller's token, or the highest one already accepted).
 * → {'ok', fence or ''} | {'conflict', actualVersion} | {'fenced', highestFence} | {'key'} | {'corrupt'}
 * 'key': the record was written with another encryption key (or plain vs encrypted); like the
 * file store, a write never replaces what this configuration cannot read.
 */
export const PUT = script(
  'put',
  1,
  `
local t = redis.call('TYPE', KEYS[1])['ok']
local current = 0
local fence = false
if t ~= 'none' then
  if t ~= 'hash' then return {'corrupt'} end
  local m = redis.call('HMGET', KEYS[1], 'format', 'version', 'fencingToken', 'encrypted')
  if m[1] ~= 'tokens.stored/v1' or not m[2] or not string.match(m[2], '^[1-9][0-9]*$') then return {'corrupt'} end
  current = tonumber(m[2])
  if m[3] then
    if not string.match(m[3], '^-?[0-9]+$') then return {'corrupt'} end
    fence = m[3]
  end
  local kid = ''
  if m[4] then
    local ok, envelope = pcall(cjson.decode, m[4])
    if not ok or type(envelope) ~= 'table' or type(envelope.kid) ~= 'string' then return {'corrupt'} end
    kid = envelope.kid
  end
  if kid ~= ARGV[3] then return {'key'} end
end
if current ~= tonumber(ARGV[1]) then return {'conflict', current} end
if ARGV[2] ~= '' then
  if fence and tonumber(ARGV[2]) < tonumber(fence) then return {'fenced', fence} end
  fence = ARGV[2]
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
if fence then redis.call('HSET', KEYS[1], 'fencingToken', fence) end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return {'ok', fence or ''}
`,
);

/**
 * CAS delete. KEYS: record. ARGV: expectedVersion, channel, message.
 * → {'ok'} | {'missing'} | {'conflict', actualVersion} | {'corrupt'}
 */
export const DELETE = script(
  'delete',
  1,
  `
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'none' then return {'missing'} end
if t ~= 'hash' then return {'corrupt'} end
local v = redis.call('HGET', KEYS[1], 'version')
if v ~= ARGV[1] then return {'conflict', v or ''} end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return {'ok'}
`,
);

/**
 * Moves an unreadable record aside, only if it still holds what the caller judged corrupt (a
 * writer may have replaced it with a good record since). KEYS: record, target.
 * ARGV: judged type ('hash' or 'other'), channel, message, judged field/value pairs (hash only).
 * → {'moved'} | {'changed'} | {'gone'} | {'taken'} (target exists: pick another name)
 */
export const QUARANTINE = script(
  'quarantine',
  2,
  `
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'none' then return {'gone'} end
if ARGV[1] == 'hash' then
  if t ~= 'hash' then return {'changed'} end
  if redis.call('HLEN', KEYS[1]) * 2 ~= #ARGV - 3 then return {'changed'} end
  for i = 4, #ARGV, 2 do
    if redis.call('HGET', KEYS[1], ARGV[i]) ~= ARGV[i + 1] then return {'changed'} end
  end
elseif t == 'hash' then
  return {'changed'}
end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'taken'} end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return {'moved'}
`,
);

/**
 * Lease + fencing token in one step. KEYS: lock, fence counter, record. ARGV: nonce, ttlMs.
 * The counter never goes below the highest token the record accepted, so a lost or reset
 * counter cannot hand out tokens the store would refuse forever.
 * → {1, token} | {0, holder's remaining ms}
 */
export const ACQUIRE = script(
  'acquire',
  3,
  `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {0, redis.call('PTTL', KEYS[1])}
end
local n = redis.call('INCR', KEYS[2])
if redis.call('TYPE', KEYS[3])['ok'] == 'hash' then
  local f = tonumber(redis.call('HGET', KEYS[3], 'fencingToken'))
  if f and n <= f then n = redis.call('INCRBY', KEYS[2], f - n + 1) end
end
return {1, tostring(n)}
`,
);

/** Owner-only extend. KEYS: lock. ARGV: nonce, ttlMs. → 1 | 0 */
export const EXTEND = script(
  'extend',
  1,
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`,
);

/** Owner-only release. KEYS: lock. ARGV: nonce. → 1 | 0 */
export const RELEASE = script(
  'release',
  1,
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
);

type Arg = string | number | Buffer;

/**
 * EVALSHA, falling back to EVAL when the server does not know the script (first use, or after
 * a restart or failover emptied its script cache). Keys go through ioredis, so a client-side
 * `keyPrefix` and Cluster slot routing apply as usual.
 */
export async function runScript(client: RedisClient, s: LuaScript, keys: string[], args: Arg[]): Promise<unknown> {
  if (keys.length !== s.keys) throw new Error(`script ${s.name} takes ${s.keys} keys`);
  try {
    return await client.evalsha(s.sha, s.keys, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return await client.eval(s.source, s.keys, ...keys, ...args);
  }
}
