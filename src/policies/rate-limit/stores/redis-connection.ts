// Builds the ioredis client for the Redis store from a connection spec, tuned so that no command can wait
// on a dead or slow Redis: no offline queue (commands fail at once while disconnected), no per-request
// retries and no resending after a reconnect (a resent take would count twice), a per-command timeout,
// and a socket timeout that tears down a connection whose replies stopped coming (a half-open TCP
// connection would otherwise look "ready" for minutes). Reconnection runs in the background with a
// capped backoff, so the store recovers by itself when Redis is back.
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";

export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

export type RedisConnection =
  | { readonly url: string }
  | {
      readonly sentinels: readonly RedisAddress[];
      readonly name: string;
      readonly password?: string;
      readonly db?: number;
    }
  | { readonly cluster: readonly RedisAddress[]; readonly password?: string };

/** What every Redis-backed store takes besides the connection (the rate-limit and the cache store alike). */
export interface RedisClientOptions {
  /** Prepended to every key the store writes. */
  readonly prefix: string;
  /** The longest a call may take, in ms (default 50); also each command's own bound. */
  readonly timeoutMs?: number;
  /** Longest wait between reconnection attempts, in ms (default 2000). */
  readonly reconnectMaxDelayMs?: number;
  /** Tear down a connection whose replies stopped for this long, in ms (default max(1000, 20 × timeoutMs)). */
  readonly socketTimeoutMs?: number;
}

/** Names the store in errors and in CLIENT SETNAME (portcullis-<store>), so its connections can be told apart. */
export type StoreName = "rate-limit" | "cache";

export type RedisClient = Redis | Cluster;

/** Exponential from 50 ms, capped, with up to 20% jitter so a fleet of gateways does not reconnect in step. */
export function reconnectDelay(maxMs: number): (attempt: number) => number {
  return (attempt) => {
    const base = Math.min(maxMs, 50 * 2 ** Math.min(Math.max(attempt - 1, 0), 20));
    return Math.round(base * (0.8 + Math.random() * 0.2));
  };
}

/** `timeoutMs` is the store's checked value; the other tunings default here. */
export function createRedisClient(
  options: RedisConnection & RedisClientOptions,
  timeoutMs: number,
  store: StoreName,
): RedisClient {
  const connection: RedisConnection = options;
  const retry = reconnectDelay(options.reconnectMaxDelayMs ?? 2000);
  const perConnection = {
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: timeoutMs,
    // Calls never wait for a connection attempt (they fail fast), so this only bounds a hung SYN.
    connectTimeout: Math.max(1000, 10 * timeoutMs),
    socketTimeout: options.socketTimeoutMs ?? Math.max(1000, 20 * timeoutMs),
    connectionName: `portcullis-${store}`,
  } satisfies RedisOptions;

  if ("cluster" in connection) {
    const options: ClusterOptions = {
      enableOfflineQueue: false,
      clusterRetryStrategy: retry,
      clusterNodeRetryStrategy: retry,
      slotsRefreshTimeout: Math.max(1000, 10 * timeoutMs),
      redisOptions: { ...perConnection, password: connection.password },
    };
    return new Cluster(
      connection.cluster.map(({ host, port }) => ({ host, port })),
      options,
    );
  }

  const common: RedisOptions = { ...perConnection, enableOfflineQueue: false, retryStrategy: retry };
  if ("sentinels" in connection) {
    return new Redis({
      ...common,
      sentinels: connection.sentinels.map(({ host, port }) => ({ host, port })),
      name: connection.name,
      password: connection.password,
      db: connection.db,
      sentinelRetryStrategy: retry,
    });
  }
  checkUrl(connection.url, store);
  return new Redis(connection.url, common);
}

/** Refuses a non-Redis URL without echoing it: it may hold a password. */
function checkUrl(url: string, store: StoreName): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new TypeError(`${store} redis: the connection url is not a valid URL`);
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    throw new TypeError(`${store} redis: the connection url must start with redis:// or rediss://`);
  }
}

/**
 * A short, fixed-vocabulary reason for a client error. ioredis messages can contain addresses and Redis
 * error texts can echo arguments (limiter keys may embed API keys), so only codes and the error-class word
 * of a reply (WRONGTYPE, OOM, NOAUTH...) get through.
 */
export function failureReason(err: unknown): string {
  if (!(err instanceof Error)) return "error";
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && /^E[A-Z]{2,20}$/.test(code)) return code;
  const message = err.message;
  if (message === "Command timed out") return "timeout";
  if (message.startsWith("Stream isn't writeable") || message.startsWith("Cluster isn't ready")) {
    return "not connected";
  }
  if (message === "Connection is closed.") return "connection closed";
  if (message.startsWith("Socket timeout")) return "no reply (socket timeout)";
  if (message.startsWith("None of startup nodes")) return "no cluster node reachable";
  if (message.startsWith("All sentinels are unreachable")) return "no sentinel reachable";
  if (err.name === "MaxRetriesPerRequestError") return "connection lost";
  if (err.name === "ReplyError") {
    const word = /^[A-Z][A-Z_]{1,30}\b/.exec(message)?.[0];
    return word ? `redis ${word}` : "redis error";
  }
  return "error";
}

/** Waits (at most `waitMs`) for the client to be ready; true when it is. */
export function waitForReady(client: RedisClient, waitMs: number): Promise<boolean> {
  if (client.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      client.off("ready", onReady);
      resolve(false);
    }, waitMs);
    client.once("ready", onReady);
  });
}

/** Disconnects and waits (at most 1 s) for the socket to end; between reconnect attempts there is none. */
export function disconnectClient(client: RedisClient): Promise<void> {
  const open = client.status === "ready" || client.status === "connect" || client.status === "connecting";
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, open ? 1000 : 0);
    client.once("end", () => {
      clearTimeout(timer);
      resolve();
    });
    client.disconnect();
  });
}
