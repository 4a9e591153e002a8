// Maps what undici reports to the registry's codes. The phase decides 502 vs 504: a connect that timed
// out or a response that never came is a timeout; a refused, reset or garbled exchange is a bad gateway.
import type { ErrorCode } from "../errors/codes.ts";

export function classifyUpstreamError(err: unknown): ErrorCode {
  // undici's HTTPParserError carries no code, only its name.
  if ((err as Error | null)?.name === "HTTPParserError") return "UPSTREAM_PROTOCOL_ERROR";
  const code = (err as { code?: string } | null)?.code ?? "";
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      return "UPSTREAM_CONNECT_TIMEOUT";
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return "UPSTREAM_TIMEOUT";
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EADDRNOTAVAIL":
    case "CERT_HAS_EXPIRED":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return "UPSTREAM_CONNECT_FAILED";
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
    case "UND_ERR_CLOSED":
    case "ERR_HTTP2_STREAM_ERROR":
    case "ERR_HTTP2_SESSION_ERROR":
    case "ERR_HTTP2_GOAWAY_SESSION":
      return "UPSTREAM_RESET";
    // undici refused what the gateway asked it to send: a gateway fault, not the upstream's.
    case "UND_ERR_INVALID_ARG":
    case "UND_ERR_NOT_SUPPORTED":
      return "INTERNAL";
    case "UND_ERR_RES_CONTENT_LENGTH_MISMATCH":
    case "UND_ERR_RES_EXCEEDED_MAX_SIZE":
    case "ERR_HTTP2_INVALID_HEADER_VALUE":
    case "ERR_HTTP2_ERROR":
      return "UPSTREAM_PROTOCOL_ERROR";
    default:
      if (code.startsWith("HPE_")) return "UPSTREAM_PROTOCOL_ERROR";
      if (code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL")) return "UPSTREAM_CONNECT_FAILED";
      return "UPSTREAM_RESET";
  }
}
