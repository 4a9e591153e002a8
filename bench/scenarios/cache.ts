// A cacheable route (the backend says `public, max-age=3600`), with and without the cache policy: the
// uncached row pays the origin round trip every time, the cached one serves every request after the
// first from the memory store.
import { plainWith } from "./plain.ts";

export const cacheOff = plainWith(
  "cache-off",
  "the cacheable path on the plain route, no cache",
  {},
  {
    path: "/cacheable",
  },
);
export const cacheHit = plainWith(
  "cache-hit",
  "the cacheable path with the cache policy (memory): hits",
  { cache: {} },
  { path: "/cacheable" },
);
