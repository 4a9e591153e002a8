// The Redis store's operations, one Lua script each: atomic on the server, timed by Redis's own clock
// (TIME) so gateways with skewed clocks agree, and touching exactly one key, so every script stays within
// one hash slot and runs unchanged on a Cluster. The arithmetic mirrors memory.ts line for line (same
// rounding, same epsilon) so both stores give the same answers.
//
// Every script returns {allowed 0|1, remaining, resetMs, retryAfterMs, granted (quota: used)}. Lua numbers
// become integer replies by truncation, so the scripts round themselves. Numbers passed to redis.call are
// formatted with full precision by Redis; Lua's own tostring/.. is not (14 digits), hence member names are
// built from TIME's strings.

/** Sorted set of admitted units, scored by Redis time in microseconds. ARGV: limit, windowMs, want, lease. */
export const SLIDING_WINDOW = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local lease = ARGV[4] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = window_ms * 1000
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local used = redis.call('ZCARD', key)
local available = math.max(0, limit - used)
local allowed, granted = 0, 0
if lease then
  granted = math.min(want, available)
  if granted > 0 then allowed = 1 end
elseif want <= available then
  allowed, granted = 1, want
end
if granted > 0 then
  -- Unique members without a second key: a script in the same microsecond prunes nothing the previous
  -- one kept, so ZCARD continues that script's numbering.
  local stem = t[1] .. '.' .. t[2] .. ':'
  local args = {}
  for i = 1, granted do
    args[#args + 1] = now
    args[#args + 1] = stem .. (used + i)
    if #args >= 1000 or i == granted then
      redis.call('ZADD', key, unpack(args))
      args = {}
    end
  end
  redis.call('PEXPIRE', key, window_ms)
end
local total = used + granted
local reset = 0
if granted > 0 then
  reset = window_ms
elseif total > 0 then
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  reset = math.max(0, math.ceil((tonumber(newest[2]) + window - now) / 1000 - 1e-6))
end
local retry = 0
if allowed == 0 then
  local need = want
  if lease then need = 1 end
  if need > limit or used == 0 then
    retry = window_ms
  else
    -- The (used + need - limit)-th oldest unit is the last that must leave before this cost fits.
    local k = used + need - limit
    local entry = redis.call('ZRANGE', key, k - 1, k - 1, 'WITHSCORES')
    retry = math.max(1, math.ceil((tonumber(entry[2]) + window - now) / 1000 - 1e-6))
  end
end
return {allowed, math.max(0, limit - total), reset, retry, granted}
`;

/** Hash {tokens, ts (Redis ms)}; absent means full. ARGV: limit, windowMs, capacity, want, lease. */
export const TOKEN_BUCKET = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local lease = ARGV[5] == '1'
local EPSILON = 1e-9
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local rate = limit / window_ms
local tokens = capacity
local state = redis.call('HMGET', key, 'tokens', 'ts')
local last_tokens, last_ts = tonumber(state[1]), tonumber(state[2])
if last_tokens and last_ts then
  tokens = math.min(capacity, last_tokens + math.max(0, now - last_ts) * rate)
end
local whole = math.floor(tokens + EPSILON)
local allowed, granted = 0, 0
if lease then
  granted = math.min(want, whole)
  if granted > 0 then allowed = 1 end
elseif want <= tokens + EPSILON then
  allowed, granted = 1, want
end
local left = tokens
if granted > 0 then
  -- A refusal writes nothing: refill is linear and capped, so the old (tokens, ts) gives the same answer.
  left = math.max(0, tokens - granted)
  redis.call('HSET', key, 'tokens', left, 'ts', now)
  redis.call('PEXPIRE', key, math.ceil((capacity - left) / rate) + 1)
end
local retry = 0
if allowed == 0 then
  local need = want
  if lease then need = 1 end
  if need > capacity then
    retry = window_ms
  else
    retry = math.max(1, math.ceil((need - tokens) / rate - 1e-6))
  end
end
local reset = math.max(0, math.ceil((capacity - left) / rate - 1e-6))
return {allowed, math.floor(left + EPSILON), reset, retry, granted}
`;

/** Counter for one calendar period. ARGV: limit, periodEndMs (integer), cost, graceMs. */
export const QUOTA = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local period_end = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local grace = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local used = tonumber(redis.call('GET', key) or '0')
local reset = math.max(0, math.ceil(period_end - now - 1e-6))
if used + cost > limit then
  return {0, math.max(0, limit - used), reset, math.max(1, reset), used}
end
if cost > 0 then
  used = redis.call('INCRBY', key, cost)
  redis.call('PEXPIREAT', key, math.max(period_end, math.ceil(now) + grace))
end
return {1, limit - used, reset, 0, used}
`;

export const SCRIPTS = {
  rateLimitSlidingWindow: SLIDING_WINDOW,
  rateLimitTokenBucket: TOKEN_BUCKET,
  rateLimitQuota: QUOTA,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
