// Requests Node's parser refuses never reach the handler; they arrive here. The reply is a problem body
// on the raw socket, then the connection closes: after a framing error nothing more on it can be trusted.
import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import { ERROR_CODES, type ErrorCode } from "../errors/codes.ts";
import { PROBLEM_CONTENT_TYPE, problemBody } from "../errors/problem.ts";

const REASONS: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Content Too Large",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
};

export function classifyParseError(code: string | undefined): ErrorCode {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return "HEADERS_TOO_LARGE";
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return "REQUEST_TIMEOUT";
    case "HPE_UNEXPECTED_CONTENT_LENGTH":
    case "HPE_INVALID_CONTENT_LENGTH":
    case "HPE_INVALID_TRANSFER_ENCODING":
    case "HPE_INVALID_CHUNK_SIZE":
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
    case "HPE_INVALID_EOF_STATE":
    case "HPE_STRICT":
      return "INVALID_FRAMING";
    case "HPE_INVALID_HEADER_TOKEN":
    case "HPE_UNEXPECTED_SPACE":
    case "HPE_LF_EXPECTED":
    case "HPE_CR_EXPECTED":
      return "INVALID_HEADER";
    case "HPE_INVALID_URL":
      return "INVALID_PATH";
    default:
      return "BAD_REQUEST";
  }
}

export interface ParseFailure {
  code: ErrorCode;
  requestId: string;
  /** False when nothing could be written (peer gone, or a response was already under way). */
  replied: boolean;
}

export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): ParseFailure {
  const code = classifyParseError(err.code);
  const requestId = randomUUID();
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean; writableEnded?: boolean } })
    ._httpMessage;
  if (err.code === "ECONNRESET" || err.code === "EPIPE" || !socket.writable || inFlight?.headersSent) {
    // The handler may have refused the head already (e.g. Transfer-Encoding: identity, which llhttp only
    // faults once it reaches the body): let that complete answer drain. A response cut halfway stays cut.
    if (inFlight?.writableEnded === true && socket.writable) socket.destroySoon();
    else socket.destroy();
    return { code, requestId, replied: false };
  }
  const spec = ERROR_CODES[code];
  const body = problemBody(code, requestId, err.code === undefined ? undefined : `parser: ${err.code}`);
  socket.end(
    `HTTP/1.1 ${spec.status} ${REASONS[spec.status] ?? "Bad Request"}\r\n` +
      `content-type: ${PROBLEM_CONTENT_TYPE}\r\ncache-control: no-store\r\nx-request-id: ${requestId}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  socket.destroySoon();
  return { code, requestId, replied: true };
}
