// Response-cache entries shared by every gateway through Redis. Layout, every key under `prefix`:
//   <prefix>e:<key>  a hash: `meta` (JSON), `body` (raw bytes), `tags` (JSON array), with PEXPIRE = ttl
//   <prefix>t:<tag>  a set of entry keys carrying the tag; its expiry only ever grows, to the longest
//                    ttl of an entry added to it, so it outlives its members
// A tag set may name entries that expired, were overwritten without the tag, or were purged by prefix:
// purgeTag removes a member only if the entry still carries the tag (checked and removed in one script),
// so stale members cost memory until the set expires, never a wrong purge. Writes add tag memberships
// before the entry, so a failure part-way can leave a stale member, never an untagged entry.
//
// Cluster: every command and script touches one key, so get/set/delete/purgeTag work on a Cluster as is.
// purgePrefix SCANs each master in turn (a failover during the scan can miss keys) and UNLINKs key by key.
//
// get, set and delete are bounded by `timeoutMs` as a whole; purges, which may visit many keys, by
// `purgeTimeoutMs` (each of their commands by `timeoutMs`). Every failure is a StoreUnavailableError
// with a credential- and key-free reason.
import { StoreUnavailableError } from "../../rate-limit/stores/errors.ts";
import {
  createRedisClient,
  disconnectClient,
  failureReason,
  type RedisClient,
  type RedisClientOptions,
  type RedisConnection,
  waitForReady,
} from "../../rate-limit/stores/redis-connection.ts";
import { type CacheStore, checkTtl, type EntryMeta, entryBytes, type StoredEntry } from "./types.ts";

export { StoreUnavailableError } from "../../rate-limit/stores/errors.ts";
export type { RedisAddress, RedisConnection } from "../../rate-limit/stores/redis-connection.ts";

/** `timeoutMs` bounds get/set/delete as a whole. */
export type RedisCacheStoreOptions = RedisConnection &
  RedisClientOptions & {
    /** Per-entry cap, body + meta (default 8 MiB). */
    readonly maxObjectBytes?: number;
    /** The longest a purge may take, in ms (default 10 000). */
    readonly purgeTimeoutMs?: number;
  };

/** Unlinks the entry only if it still carries the tag, so stale tag-set members never purge anything. */
const UNLINK_IF_TAGGED = `
local tags = redis.call('HGET', KEYS[1], 'tags')
if not tags then return 0 end
for _, t in ipairs(cjson.decode(tags)) do
  if t == ARGV[1] then return redis.call('UNLINK', KEYS[1]) end
end
return 0`;

const SCAN_COUNT = 1000;

type UnlinkIfTagged = (key: string, tag: string) => Promise<number>;

export class RedisCacheStore implements CacheStore {
  readonly name = "redis";
  readonly maxObjectBytes: number;
  readonly timeoutMs: number;
  readonly purgeTimeoutMs: number;
  private readonly client: RedisClient;
  private readonly prefix: string;
  private readonly unlinkIfTagged: UnlinkIfTagged;
  private closed = false;
  /** Until the first connection is made, calls wait on this one promise (not one listener each). */
  private firstReady: Promise<void> | undefined;

  constructor(options: RedisCacheStoreOptions) {
    this.timeoutMs = options.timeoutMs ?? 50;
    this.purgeTimeoutMs = options.purgeTimeoutMs ?? 10_000;
    this.maxObjectBytes = options.maxObjectBytes ?? 8 * 1024 * 1024;
    for (const [name, value] of [
      ["timeoutMs", this.timeoutMs],
      ["purgeTimeoutMs", this.purgeTimeoutMs],
      ["maxObjectBytes", this.maxObjectBytes],
    ] as const) {
      if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be > 0`);
    }
    this.prefix = options.prefix;
    this.client = createRedisClient(options, this.timeoutMs, "cache");
    this.client.defineCommand("cacheUnlinkIfTagged", { numberOfKeys: 1, lua: UNLINK_IF_TAGGED });
    const commands = this.client as unknown as { cacheUnlinkIfTagged: UnlinkIfTagged };
    this.unlinkIfTagged = commands.cacheUnlinkIfTagged.bind(this.client);
    // Without an "error" listener ioredis logs every failed reconnection attempt itself.
    this.client.on("error", () => {});
    this.firstReady = new Promise<void>((resolve) => this.client.once("ready", resolve)).then(() => {
      this.firstReady = undefined;
    });
  }

  /** Waits (at most `waitMs`) for a usable connection, e.g. during startup; true when there is one. */
  ready(waitMs = 5000): Promise<boolean> {
    return this.closed ? Promise.resolve(false) : waitForReady(this.client, waitMs);
  }

  get(key: string): Promise<StoredEntry | undefined> {
    return this.bounded(this.timeoutMs, async () => {
      const [meta, body] = await this.client.hmgetBuffer(this.entryKey(key), "meta", "body");
      if (!meta || !body) return undefined;
      let parsed: EntryMeta;
      try {
        parsed = JSON.parse(meta.toString("utf8")) as EntryMeta;
      } catch {
        throw new StoreUnavailableError("unexpected reply", "cache");
      }
      return { meta: parsed, body };
    });
  }

  set(key: string, entry: StoredEntry, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    const ttl = Math.ceil(ttlMs);
    const { metaJson, bytes } = entryBytes(entry);
    const full = this.entryKey(key);
    return this.bounded(this.timeoutMs, async () => {
      const oldTags = await this.client.hget(full, "tags");
      // Whatever happens next, the old entry has been superseded by a newer response.
      if (bytes > this.maxObjectBytes) {
        await this.client.unlink(full);
        await this.untag(full, parseTags(oldTags), []);
        return false;
      }
      const tags = [...new Set(entry.meta.tags)];
      await Promise.all(
        tags.map((tag) => {
          const set = this.tagKey(tag);
          return this.client
            .multi()
            .sadd(set, full)
            .pexpire(set, ttl, "NX")
            .pexpire(set, ttl, "GT")
            .exec()
            .then(checkExec);
        }),
      );
      await this.client
        .multi()
        .unlink(full)
        .hset(full, "meta", metaJson, "body", entry.body, "tags", JSON.stringify(tags))
        .pexpire(full, ttl)
        .exec()
        .then(checkExec);
      await this.untag(full, parseTags(oldTags), tags);
      return true;
    });
  }

  delete(key: string): Promise<boolean> {
    const full = this.entryKey(key);
    return this.bounded(this.timeoutMs, async () => {
      const replies = checkExec(await this.client.multi().hget(full, "tags").unlink(full).exec());
      await this.untag(full, parseTags(replies[0] as string | null), []);
      return replies[1] === 1;
    });
  }

  purgeTag(tag: string): Promise<number> {
    const set = this.tagKey(tag);
    return this.bounded(this.purgeTimeoutMs, async () => {
      let removed = 0;
      let cursor = "0";
      do {
        const [next, members] = await this.client.sscan(set, cursor, "COUNT", SCAN_COUNT);
        cursor = next;
        if (members.length === 0) continue;
        const counts = await Promise.all(members.map((member) => this.unlinkIfTagged(member, tag)));
        for (const n of counts) removed += n;
        // Only what was read: a member added meanwhile (a fresh entry) keeps its membership.
        await this.client.srem(set, ...members);
      } while (cursor !== "0" && !this.closed);
      return removed;
    });
  }

  purgePrefix(prefix: string): Promise<number> {
    const pattern = `${escapeGlob(this.entryKey(prefix))}*`;
    return this.bounded(this.purgeTimeoutMs, async () => {
      const cluster = "nodes" in this.client && typeof this.client.nodes === "function";
      const nodes = cluster ? this.client.nodes("master") : [this.client];
      let removed = 0;
      for (const node of nodes) {
        let cursor = "0";
        do {
          const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", SCAN_COUNT);
          cursor = next;
          if (keys.length === 0) continue;
          // On a Cluster the keys of one node span many slots, and a multi-key UNLINK needs one slot.
          if (cluster) {
            const counts = await Promise.all(keys.map((k) => this.client.unlink(k)));
            for (const n of counts) removed += n;
          } else {
            removed += await this.client.unlink(...keys);
          }
        } while (cursor !== "0" && !this.closed);
      }
      return removed;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await disconnectClient(this.client);
  }

  private entryKey(key: string): string {
    return `${this.prefix}e:${key}`;
  }

  private tagKey(tag: string): string {
    return `${this.prefix}t:${tag}`;
  }

  /** Drops `key` from the sets of the tags it no longer carries. */
  private async untag(key: string, oldTags: readonly string[], newTags: readonly string[]): Promise<void> {
    const keep = new Set(newTags);
    await Promise.all(oldTags.filter((t) => !keep.has(t)).map((t) => this.client.srem(this.tagKey(t), key)));
  }

  /**
   * Runs `work` within `ms`, every failure a StoreUnavailableError. Before the first connection is made,
   * the work waits for it (within the bound); afterwards commands fail at once while disconnected.
   */
  private bounded<T>(ms: number, work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError("closed", "cache"));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        return true;
      };
      const fail = (err: unknown): void => {
        if (!finish()) return;
        reject(
          err instanceof StoreUnavailableError ? err : new StoreUnavailableError(failureReason(err), "cache"),
        );
      };
      const timer = setTimeout(() => fail(new StoreUnavailableError("timeout", "cache")), ms);
      const start = (): void => {
        if (settled) return;
        work().then((value) => {
          if (finish()) resolve(value);
        }, fail);
      };
      const first = this.firstReady;
      if (first !== undefined && this.client.status !== "ready") void first.then(start);
      else start();
    });
  }
}

/** SCAN MATCH treats * ? [ ] and \ as pattern syntax; a prefix is literal. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

function parseTags(json: string | null): string[] {
  if (!json) return [];
  try {
    const tags: unknown = JSON.parse(json);
    return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
}

/** MULTI/EXEC reports a failed command in its reply list, not as a rejection. */
function checkExec(replies: [error: Error | null, result: unknown][] | null): unknown[] {
  if (!replies) throw new StoreUnavailableError("transaction aborted", "cache");
  for (const [err] of replies) if (err) throw err;
  return replies.map(([, result]) => result);
}
