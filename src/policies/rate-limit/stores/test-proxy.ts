// A TCP proxy for fault tests, in front of a real Redis. "stall" stops forwarding in both directions but
// keeps every byte and connection (a network partition: TCP holds the bytes, nothing arrives) and
// "resume" delivers them; "down" destroys every connection and closes the port (a crashed server), "up"
// listens on the same port again.
import net from "node:net";
import { after, afterEach } from "node:test";
import { Redis } from "ioredis";
import { escapeGlob } from "../../cache/stores/redis.ts";

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  readonly held: [to: net.Socket, chunk: Buffer][];
}

export class TcpProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<Pair>();
  private stalled = false;
  private listenPort = 0;
  private readonly target: { host: string; port: number };

  private constructor(target: { host: string; port: number }) {
    this.target = target;
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await proxy.up();
    return proxy;
  }

  get port(): number {
    return this.listenPort;
  }

  /** Connections currently proxied. */
  get connections(): number {
    return this.pairs.size;
  }

  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
    for (const pair of this.pairs) {
      for (const [to, chunk] of pair.held.splice(0)) to.write(chunk);
    }
  }

  /** Closes the port and drops every connection. */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    await closed;
  }

  /** Listens (again) on the proxy's port; the first time on a fresh port. */
  async up(): Promise<void> {
    this.stalled = false;
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.listenPort, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.listenPort = (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.down();
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host);
    const pair: Pair = { client, upstream, held: [] };
    this.pairs.add(pair);
    const forward = (to: net.Socket) => (chunk: Buffer) => {
      if (this.stalled) pair.held.push([to, chunk]);
      else to.write(chunk);
    };
    client.on("data", forward(upstream));
    upstream.on("data", forward(client));
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    for (const socket of [client, upstream]) {
      socket.on("error", drop);
      socket.on("close", drop);
    }
  }
}

/** A port nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The hooks of a fault-test file against the machine's Redis: what `later` registers runs after each test
 * (newest first), `proxy()` is a fresh proxy in front of that Redis closed after the test, and every key
 * under `prefix` (taken literally) is deleted when the file ends.
 */
export function faultTestHooks(prefix: string): {
  later: (cleanup: () => Promise<void>) => void;
  proxy: () => Promise<TcpProxy>;
} {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  after(async () => {
    const admin = new Redis("redis://127.0.0.1:6379");
    const keys = await admin.keys(`${escapeGlob(prefix)}*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  });
  return {
    later: (cleanup) => {
      cleanups.push(cleanup);
    },
    proxy: async () => {
      const p = await TcpProxy.start({ host: "127.0.0.1", port: 6379 });
      cleanups.push(() => p.close());
      return p;
    },
  };
}
