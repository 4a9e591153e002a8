// Step 1: accept. HTTP/1.1 on node:http; HTTP/2 over TLS through ALPN (h2, then http/1.1) with
// certificates chosen by SNI; prior-knowledge h2c on plaintext listeners that enable HTTP/2.
import { readFileSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import http2, { type Http2Session } from "node:http2";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { SecureContext } from "node:tls";
import type { Limits } from "../config/defaults.ts";
import { DEFAULT_LISTEN_ADDRESS } from "../config/defaults.ts";
import type { ListenerConfig } from "../config/schema.ts";
import type { AnyRequest } from "./handler.ts";
import type { AnyResponse } from "./reply.ts";
import { buildSniContexts } from "./sni.ts";

export type RequestListener = (req: AnyRequest, res: AnyResponse) => void;

export type ClientErrorSink = (
  err: NodeJS.ErrnoException & { rawPacket?: Buffer },
  socket: Socket,
  listener: string,
) => void;

export interface Listener {
  readonly name: string;
  readonly port: number;
  readonly address: string;
  readonly server: http.Server | https.Server | http2.Http2SecureServer;
  /** Stop accepting; ask idle keep-alive connections and HTTP/2 sessions to go away. */
  stopAccepting(): void;
  /** Cut whatever is left. */
  destroyAll(): void;
  connections(): number;
}

export interface ListenOptions {
  config: ListenerConfig;
  limits: Limits;
  onRequest: RequestListener;
  onClientError: ClientErrorSink;
  onConnection(delta: 1 | -1, listener: string): void;
}

/** Server options shared by every HTTP/1.1 path (plain, TLS, and HTTP/1.1 over an ALPN server). */
function http1Options(limits: Limits): http.ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks header/request timeouts on this interval (default 30 s): a slowloris is cut within
    // headersTimeout + this.
    connectionsCheckingInterval: 500,
    // We answer a missing Host ourselves, with a problem body.
    requireHostHeader: false,
    // RFC 9110 §5.3: duplicates combine with ", " rather than silently dropping all but the first.
    joinDuplicateHeaders: true,
    insecureHTTPParser: false,
    noDelay: true,
  };
}

function http2Options(limits: Limits): http2.ServerOptions {
  return {
    settings: { maxHeaderListSize: limits.maxHeaderBytes, maxConcurrentStreams: 128 },
    maxSessionMemory: 32,
  };
}

/** Requests go to the shared handler; sessions are tracked so shutdown can send GOAWAY to each. */
function serveHttp2(
  server: http2.Http2Server | http2.Http2SecureServer,
  onRequest: RequestListener,
  sessions: Set<Http2Session>,
): void {
  server.on("request", onRequest);
  server.on("session", (s: Http2Session) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
}

function applyHttp1Limits(
  server: http.Server | https.Server | http2.Http2SecureServer,
  limits: Limits,
): void {
  const s = server as http.Server;
  s.headersTimeout = limits.headersTimeoutMs;
  s.requestTimeout = limits.requestTimeoutMs;
  s.keepAliveTimeout = limits.keepAliveTimeoutMs;
  s.maxConnections = limits.maxConnections;
  // Node 24 refuses more fields with HPE_HEADER_OVERFLOW (431) instead of silently dropping them.
  s.maxHeadersCount = limits.maxHeaders;
}

export async function listen(opts: ListenOptions): Promise<Listener> {
  const { config, limits } = opts;
  const name = config.name;
  // HTTP/2 is on by default with TLS (ALPN); prior-knowledge h2c on a plaintext port is opt-in, since
  // telling it apart costs a peek at every new connection.
  const h2 = config.http2 ?? config.tls !== undefined;
  const sessions = new Set<Http2Session>();
  const sockets = new Set<Socket>();
  let open = 0;
  let server: http.Server | https.Server | http2.Http2SecureServer;
  let h2c: http2.Http2Server | undefined;

  const onRequest = opts.onRequest as (req: IncomingMessage, res: ServerResponse) => void;
  if (config.tls) {
    const clientAuth = config.tls.clientAuth;
    const clientCa = clientAuth ? readFileSync(clientAuth.ca) : undefined;
    const sni = buildSniContexts(config.tls.certificates, config.tls.minVersion ?? "TLSv1.2", clientCa);
    const first = config.tls.certificates[0];
    const tlsOptions = {
      key: readFileSync(first.key),
      cert: readFileSync(first.cert),
      minVersion: config.tls.minVersion ?? "TLSv1.2",
      // "required": the handshake fails without a certificate that verifies. "optional": it is asked for,
      // and the authenticate policy's mtls method decides per route.
      ...(clientCa
        ? { ca: clientCa, requestCert: true, rejectUnauthorized: clientAuth?.mode !== "optional" }
        : {}),
      SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) =>
        cb(null, sni(servername)),
    } as const;
    if (h2) {
      server = http2.createSecureServer({
        ...tlsOptions,
        ...http1Options(limits),
        ...http2Options(limits),
        allowHTTP1: true,
      });
      serveHttp2(server, opts.onRequest, sessions);
    } else {
      server = https.createServer({ ...tlsOptions, ...http1Options(limits) }, onRequest);
    }
  } else {
    server = http.createServer(http1Options(limits), onRequest);
    if (h2) {
      h2c = http2.createServer(http2Options(limits));
      serveHttp2(h2c, opts.onRequest, sessions);
      h2c.setTimeout(limits.keepAliveTimeoutMs);
      routePriorKnowledge(server, h2c);
    }
  }
  // "Expect: 100-continue" reaches the handler, which says Continue only once the request is admitted.
  server.on("checkContinue", opts.onRequest);
  h2c?.on("checkContinue", opts.onRequest);
  applyHttp1Limits(server, limits);
  if (config.tls && h2) (server as http2.Http2SecureServer).setTimeout(limits.keepAliveTimeoutMs);
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) =>
    opts.onClientError(err, socket, name),
  );
  server.on("connection", (socket: Socket) => {
    open++;
    sockets.add(socket);
    opts.onConnection(1, name);
    socket.once("close", () => {
      open--;
      sockets.delete(socket);
      opts.onConnection(-1, name);
    });
  });
  // Over TLS the HTTP/1 response hangs off the TLS socket, not the TCP one seen by "connection".
  if (config.tls)
    server.on("secureConnection", (socket: Socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.address ?? DEFAULT_LISTEN_ADDRESS, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    name,
    port: address.port,
    address: address.address,
    server,
    stopAccepting() {
      server.close();
      (server as http.Server).closeIdleConnections?.();
      // Requests already in flight: their responses ask the client to close instead of advertising a
      // keep-alive that the drain is about to cut (new requests get this from the handler).
      for (const socket of sockets) {
        const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
        if (res && !res.headersSent) res.setHeader("connection", "close");
      }
      for (const s of sessions) s.close();
    },
    destroyAll() {
      (server as http.Server).closeAllConnections?.();
      for (const s of sessions) s.destroy();
    },
    connections: () => open,
  };
}

const PRI = Buffer.from("PRI ");

/**
 * Prior-knowledge h2c shares the port with HTTP/1.1: the first bytes of a connection tell which one it
 * is. Only listeners that enable HTTP/2 pay for this peek (once per connection, not per request).
 */
function routePriorKnowledge(server: http.Server, h2c: http2.Http2Server): void {
  const [http1Listener] = server.listeners("connection") as ((s: Socket) => void)[];
  server.removeAllListeners("connection");
  server.on("connection", (socket: Socket) => {
    const onData = (chunk: Buffer) => {
      socket.off("data", onData);
      socket.pause();
      socket.unshift(chunk);
      // "PRI " starts no valid HTTP/1.1 request, so four bytes decide even if the preface is split.
      // Both servers pick up the unshifted bytes themselves (http2 reads socket.readableLength first).
      if (chunk.length >= 4 && chunk.subarray(0, 4).equals(PRI)) h2c.emit("connection", socket);
      else {
        http1Listener.call(server, socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  });
}
