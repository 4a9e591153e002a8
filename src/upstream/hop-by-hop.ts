// Hop-by-hop headers (RFC 9110 §7.6.1) never cross the gateway, nor does any header named in Connection.
// `proxy-connection` and `keep-alive` are legacy but still seen; `http2-settings` belongs to h2c upgrade.
export const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
]);

/** Names listed in Connection (lower case), or undefined when there are none. */
export function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  // The usual values name no other header: skip the split.
  if (value === undefined || value === "keep-alive" || value === "close" || value === "Keep-Alive")
    return undefined;
  const text = typeof value === "string" ? value : value.join(",");
  let set: Set<string> | undefined;
  for (const raw of text.split(",")) {
    const name = raw.trim().toLowerCase();
    if (name === "" || name === "close" || name === "keep-alive") continue;
    if (set === undefined) set = new Set();
    set.add(name);
  }
  return set;
}
