// One object per request with a fixed shape (all slots set in the constructor), read by policies through
// the RequestView/ResponseView interfaces and by the access log at the end.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { TLSSocket } from "node:tls";
import type { Limits } from "../config/defaults.ts";
import type { ErrorCode } from "../errors/codes.ts";
import { readClientCertificate } from "../server/client-certificate.ts";
import { readWholeBody } from "../server/read-body.ts";
import type { CapturedResponse, ClientCertificate, HeaderBag, Identity, RequestView } from "./types.ts";

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});
const EMPTY_BODY = Buffer.alloc(0);

export class RequestContext implements RequestView {
  readonly id: string;
  readonly method: string;
  readonly startMs: number;
  readonly protocol: "http" | "https";
  readonly httpVersion: string;
  readonly headers: Readonly<HeaderBag>;
  host = "";
  path = "";
  query = "";
  clientIp = "";
  /** The TCP peer (a proxy when trusted proxies are configured), IPv4-mapped IPv6 unmapped. */
  peer = "";
  /** Host (or :authority, or the absolute-form target's authority) as sent, port included. */
  authority = "";
  routeName = "-";
  params: Readonly<Record<string, string>> = NO_PARAMS;
  upstreamHeaders: HeaderBag = NO_PARAMS as HeaderBag;
  upstreamName: string | undefined = undefined;
  target: string | undefined = undefined;

  // Response side.
  status = 0;
  local = false;
  flag = "-";
  errorCode: ErrorCode | undefined = undefined;
  bytesIn = 0;
  bytesOut = 0;
  upstreamStartMs = 0;
  upstreamEndMs = 0;
  /** Tries made again after a failure (route retry policy). */
  retries = 0;
  /** Set while an upstream exchange is open: aborts it when the client connection closes first. */
  onClientClose: (() => void) | undefined = undefined;

  // Identity.
  identity: Identity | undefined = undefined;
  /** The TLS connection when its listener asks for client certificates (read on first use). */
  tlsSocket: TLSSocket | undefined = undefined;
  #certificate: ClientCertificate | null | undefined = undefined;
  /** The whole request body once a policy has read it; it is then sent upstream instead of the stream. */
  body: Buffer | undefined = undefined;
  /** The client's request and response, and the plan's limits: set once the route is known. */
  request: IncomingMessage | Http2ServerRequest | undefined = undefined;
  response: ServerResponse | Http2ServerResponse | undefined = undefined;
  limits: Limits | undefined = undefined;
  /** "100 Continue" has been sent (a policy read the body, or the proxy started). */
  continued = false;
  /** A policy's unexpected error (the client got a 500); logged when the request is done. */
  fault: unknown = undefined;
  /** captureResponse(): the size cap and the callback, until settled. */
  captureMax = 0;
  captureDone: ((response: CapturedResponse | undefined) => void) | undefined = undefined;

  constructor(
    id: string,
    method: string,
    protocol: "http" | "https",
    httpVersion: string,
    headers: HeaderBag,
    startMs: number,
  ) {
    this.id = id;
    this.method = method;
    this.protocol = protocol;
    this.httpVersion = httpVersion;
    this.headers = headers;
    this.startMs = startMs;
  }

  get clientCertificate(): ClientCertificate | undefined {
    if (this.#certificate === undefined) this.#certificate = readClientCertificate(this.tlsSocket) ?? null;
    return this.#certificate ?? undefined;
  }

  readBody(limit?: number): Promise<Buffer> {
    return readWholeBody(this, limit);
  }

  captureResponse(maxBytes: number, done: (response: CapturedResponse | undefined) => void): void {
    this.captureMax = maxBytes;
    this.captureDone = done;
  }

  /**
   * A request of the gateway's own, made from this one after it was answered (a background
   * revalidation): same target, headers and identity, no body, its own id, timings and response side
   * (the caller sets `response`).
   */
  fork(startMs: number): RequestContext {
    const bg = new RequestContext(
      `${this.id}-bg`,
      this.method,
      this.protocol,
      this.httpVersion,
      this.headers,
      startMs,
    );
    bg.host = this.host;
    bg.path = this.path;
    bg.query = this.query;
    bg.clientIp = this.clientIp;
    bg.peer = this.peer;
    bg.authority = this.authority;
    bg.routeName = this.routeName;
    bg.params = this.params;
    bg.upstreamHeaders = { ...this.upstreamHeaders, "x-request-id": bg.id };
    bg.upstreamName = this.upstreamName;
    bg.identity = this.identity;
    bg.limits = this.limits;
    bg.request = this.request;
    bg.body = EMPTY_BODY;
    bg.continued = true;
    return bg;
  }

  /** Hands the copy (or undefined) to the policy that asked; later calls do nothing. */
  settleCapture(response: CapturedResponse | undefined): void {
    const done = this.captureDone;
    if (done === undefined) return;
    this.captureDone = undefined;
    done(response);
  }
}
