// What a token check answers. 401: the client's token is bad. 503: the provider could not be asked.
// Descriptions are fixed phrases (RFC 6750 error_description: no quotes, no backslashes, no token material).

export type TokenRejection =
  | { ok: false; status: 401; error: "invalid_token"; description: string }
  | { ok: false; status: 503; description: string };

export function invalidToken(description: string): TokenRejection {
  return { ok: false, status: 401, error: "invalid_token", description };
}

export function providerUnavailable(description: string): TokenRejection {
  return { ok: false, status: 503, description };
}
