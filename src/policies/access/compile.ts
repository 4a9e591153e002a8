// Access options → address sets and rules, and the per-request decision.
import { problemReply } from "../../pipeline/problem-reply.ts";
import { type LocalReply, PolicyConfigError, type RequestView } from "../../pipeline/types.ts";
import { INVALID, parseAddress } from "./address.ts";
import { compileCidrs } from "./compile-cidrs.ts";
import type { IpSet } from "./ip-set.ts";
import { type CompiledRule, compileRules, rulesDeny } from "./rules.ts";
import type { AccessOptions } from "./schema.ts";

export interface CompiledAccess {
  readonly allow: IpSet | undefined;
  readonly deny: IpSet | undefined;
  readonly rules: readonly CompiledRule[];
  /** False when nothing looks at the client address, so it is not parsed. */
  readonly needsAddress: boolean;
}

export function compileAccess(options: AccessOptions, path: string): CompiledAccess {
  if (options.allow === undefined && options.deny === undefined && options.rules === undefined) {
    throw new PolicyConfigError(path, "give allow, deny or rules: an empty access policy does nothing");
  }
  const allow = options.allow === undefined ? undefined : compileCidrs(options.allow, `${path}/allow`);
  const deny = options.deny === undefined ? undefined : compileCidrs(options.deny, `${path}/deny`);
  const rules = options.rules === undefined ? [] : compileRules(options.rules, `${path}/rules`);
  const needsAddress =
    allow !== undefined ||
    deny !== undefined ||
    rules.some((r) => r.cidrs !== undefined || r.except !== undefined);
  return { allow, deny, rules, needsAddress };
}

// Neither detail says which entry or rule matched: that would help map the lists.
function denied(detail: string): LocalReply {
  return problemReply("ACCESS_DENIED", detail);
}

/** Undefined to let the request through, or the 403 reply. */
export function checkAccess(access: CompiledAccess, req: RequestView): LocalReply | undefined {
  const address = access.needsAddress ? parseAddress(req.clientIp) : INVALID;
  if (access.allow !== undefined || access.deny !== undefined) {
    // An address that cannot be read cannot be shown to be off the deny list or on the allow list.
    if (address === INVALID) return denied("client address not allowed");
    if (access.deny?.has(address) === true) return denied("client address not allowed");
    if (access.allow !== undefined && !access.allow.has(address)) return denied("client address not allowed");
  }
  if (access.rules.length > 0 && rulesDeny(access.rules, req.method, req.path, address)) {
    return denied("path not allowed");
  }
  return undefined;
}
