// The one way a shared store fails a call (the rate-limit and the response-cache stores alike): the policy catches this type and applies its fail mode
// (open or closed). `reason` is short and fixed-vocabulary ("timeout", "ECONNREFUSED", "redis OOM", ...):
// it never carries the connection URL, a password or a limiter key (keys may embed API keys).

export class StoreUnavailableError extends Error {
  readonly reason: string;

  /** `store` names the store in the message only ("rate-limit", "cache"). */
  constructor(reason: string, store = "rate-limit") {
    super(`${store} store unavailable: ${reason}`);
    this.name = "StoreUnavailableError";
    this.reason = reason;
  }
}
