// Real upstream servers on port 0 for integration tests.
import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface TestUpstream {
  url: string;
  port: number;
  /** Requests received, in order (recorded when their body has fully arrived). */
  seen: Seen[];
  server: http.Server | http2.Http2Server | net.Server;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

const echo: Handler = (req, res, body) => {
  const payload = JSON.stringify({
    method: req.method,
    url: req.url,
    headers: req.headers,
    bodyLength: body.length,
  });
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
};

async function listening(server: http.Server | http2.Http2Server | net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

function closer(server: http.Server | http2.Http2Server | net.Server, sockets?: Set<net.Socket>) {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets ?? []) s.destroy();
      (server as http.Server).closeAllConnections?.();
      server.close(() => resolve());
    });
}

/** An HTTP/1.1 upstream; the default handler echoes the request as JSON. */
export async function startUpstream(handler: Handler = echo): Promise<TestUpstream> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res, body);
    });
  });
  const port = await listening(server);
  return { url: `http://127.0.0.1:${port}`, port, seen, server, close: closer(server) };
}

/** A prior-knowledge h2c upstream that echoes like startUpstream. */
export async function startH2cUpstream(): Promise<TestUpstream> {
  const seen: Seen[] = [];
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => sessions.add(s));
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      const body = Buffer.concat(chunks);
      const plain = Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(":")));
      seen.push({ method: String(headers[":method"]), url: String(headers[":path"]), headers: plain, body });
      const payload = JSON.stringify({
        method: headers[":method"],
        url: headers[":path"],
        headers,
        h2: true,
      });
      stream.respond({ ":status": 200, "content-type": "application/json" });
      stream.end(payload);
    });
  });
  const port = await listening(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP/2-over-TLS upstream (ALPN h2 only) that echoes path, ALPN and body size. */
export async function startH2TlsUpstream(leaf: { cert: string; key: string }): Promise<TestUpstream> {
  const server = http2.createSecureServer({ cert: readFileSync(leaf.cert), key: readFileSync(leaf.key) });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => sessions.add(s));
  server.on("stream", (stream, headers) => {
    let bodyLength = 0;
    stream.on("data", (c: Buffer) => {
      bodyLength += c.length;
    });
    stream.on("end", () => {
      const alpn = stream.session?.alpnProtocol;
      stream.respond({ ":status": 200, "content-type": "application/json" });
      stream.end(JSON.stringify({ url: headers[":path"], alpn, bodyLength }));
    });
  });
  const port = await listening(server as unknown as http2.Http2Server);
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    seen: [],
    server: server as unknown as http2.Http2Server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A TCP server that answers every connection with `onConnection` (hung, malformed, reset backends). */
export async function startRawUpstream(onConnection: (socket: net.Socket) => void): Promise<TestUpstream> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onConnection(socket);
  });
  const port = await listening(server);
  return { url: `http://127.0.0.1:${port}`, port, seen: [], server, close: closer(server, sockets) };
}

/** A port on which nothing listens (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listening(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
