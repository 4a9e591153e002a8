// A tiny upstream for `npm start`: it echoes what it received as JSON, so a first curl through the
// gateway shows the path it was given and the X-Forwarded-* / X-Request-Id headers the gateway added.
import http from "node:http";
import type { AddressInfo } from "node:net";

export async function startDemoUpstream(port: number, address = "127.0.0.1"): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on("end", () => {
      const body = JSON.stringify(
        {
          service: "portcullis-demo",
          method: req.method,
          url: req.url,
          headers: req.headers,
          bodyBytes: bytes,
        },
        null,
        2,
      );
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(`${body}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => resolve());
  });
  return server;
}

export function portOf(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}
