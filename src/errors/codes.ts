// The one registry of gateway-made errors. docs/errors.md is checked against it by a test.
// `flag` is the short response flag in access logs (after Envoy's: NR no route, UF upstream connection
// failure, UT upstream timeout, ...). `retryable` says whether a client may safely try again as is.

export interface ErrorSpec {
  readonly status: number;
  readonly title: string;
  readonly flag: string;
  readonly retryable: boolean;
  /** Close the client connection after replying (framing can no longer be trusted). */
  readonly close?: boolean;
}

export const ERROR_CODES = {
  BAD_REQUEST: { status: 400, title: "Malformed request", flag: "DPE", retryable: false, close: true },
  INVALID_HEADER: {
    status: 400,
    title: "Invalid request header",
    flag: "DPE",
    retryable: false,
    close: true,
  },
  INVALID_HOST: {
    status: 400,
    title: "Missing, duplicate or invalid Host",
    flag: "DPE",
    retryable: false,
    close: true,
  },
  INVALID_FRAMING: {
    status: 400,
    title: "Ambiguous or invalid message framing",
    flag: "DPE",
    retryable: false,
    close: true,
  },
  INVALID_PATH: { status: 400, title: "Invalid request path", flag: "DPE", retryable: false, close: true },
  REQUEST_TIMEOUT: {
    status: 408,
    title: "Request not received in time",
    flag: "DT",
    retryable: true,
    close: true,
  },
  BODY_TOO_LARGE: {
    status: 413,
    title: "Request body too large",
    flag: "RBL",
    retryable: false,
    close: true,
  },
  URI_TOO_LONG: { status: 414, title: "Request URI too long", flag: "DPE", retryable: false, close: true },
  HEADERS_TOO_LARGE: {
    status: 431,
    title: "Request header fields too large",
    flag: "DPE",
    retryable: false,
    close: true,
  },
  VALIDATION_FAILED: {
    status: 400,
    title: "Request does not match the route's schema",
    flag: "VF",
    retryable: false,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: "Request content type not accepted",
    flag: "VF",
    retryable: false,
  },
  ACCESS_DENIED: { status: 403, title: "Access denied by an access list", flag: "AL", retryable: false },
  UNAUTHENTICATED: { status: 401, title: "Authentication required", flag: "UA", retryable: false },
  FORBIDDEN: { status: 403, title: "Not allowed for this identity", flag: "AZ", retryable: false },
  IDP_UNAVAILABLE: {
    status: 503,
    title: "Identity provider unavailable",
    flag: "IDP",
    retryable: true,
  },
  CREDENTIALS_BUSY: {
    status: 503,
    title: "Too many password checks in flight",
    flag: "UA",
    retryable: true,
  },
  AUTHZ_UNAVAILABLE: {
    status: 503,
    title: "Authorization service unavailable",
    flag: "UAEX",
    retryable: true,
  },
  RATE_LIMITED: { status: 429, title: "Too many requests", flag: "RL", retryable: true },
  QUOTA_EXCEEDED: { status: 429, title: "Quota exhausted for this period", flag: "RL", retryable: true },
  RATE_LIMIT_UNAVAILABLE: {
    status: 503,
    title: "Rate-limit store unavailable",
    flag: "RLSE",
    retryable: true,
  },
  NOT_CACHED: {
    status: 504,
    title: "Not in the cache (only-if-cached)",
    flag: "NC",
    retryable: false,
  },
  NO_ROUTE: { status: 404, title: "No route matches the request", flag: "NR", retryable: false },
  METHOD_NOT_ALLOWED: {
    status: 405,
    title: "Method not allowed on this route",
    flag: "NR",
    retryable: false,
  },
  NO_HEALTHY_UPSTREAM: {
    status: 503,
    title: "No healthy upstream target",
    flag: "UH",
    retryable: true,
  },
  BULKHEAD_FULL: {
    status: 503,
    title: "Upstream has too many requests in flight",
    flag: "UO",
    retryable: true,
  },
  CIRCUIT_OPEN: { status: 503, title: "Upstream circuit breaker is open", flag: "UO", retryable: true },
  UPSTREAM_CONNECT_FAILED: {
    status: 502,
    title: "Upstream connection failed",
    flag: "UF",
    retryable: true,
  },
  UPSTREAM_CONNECT_TIMEOUT: {
    status: 504,
    title: "Upstream connection timed out",
    flag: "UF",
    retryable: true,
  },
  UPSTREAM_RESET: { status: 502, title: "Upstream reset the connection", flag: "UC", retryable: true },
  UPSTREAM_TIMEOUT: { status: 504, title: "Upstream did not answer in time", flag: "UT", retryable: true },
  UPSTREAM_PROTOCOL_ERROR: {
    status: 502,
    title: "Upstream sent a malformed response",
    flag: "UPE",
    retryable: false,
  },
  CLIENT_ABORTED: { status: 499, title: "Client closed the request", flag: "DC", retryable: false },
  INTERNAL: { status: 500, title: "Internal gateway error", flag: "GE", retryable: false },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERROR_CODES[code];
}
