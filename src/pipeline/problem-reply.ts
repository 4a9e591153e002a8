// A LocalReply for a registry error. Policies build their refusals with it; it lives here, not in
// src/server, so policy modules do not import the server (which imports the policy table).
import { ERROR_CODES, type ErrorCode } from "../errors/codes.ts";
import type { HeaderBag, LocalReply } from "./types.ts";

export function problemReply(code: ErrorCode, detail?: string, headers?: HeaderBag): LocalReply {
  return {
    status: ERROR_CODES[code].status,
    code,
    ...(detail === undefined ? {} : { detail }),
    ...(headers ? { headers } : {}),
  };
}
