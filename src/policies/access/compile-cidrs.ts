import { PolicyConfigError } from "../../pipeline/types.ts";
import { parseCidr } from "./cidr.ts";
import { IpSet } from "./ip-set.ts";

/** Compiles a list of entries; a bad entry is reported at its own path (`${at}/${index}`). */
export function compileCidrs(entries: readonly string[], at: string): IpSet {
  return new IpSet(
    entries.map((entry, i) => {
      const range = parseCidr(entry);
      if (typeof range === "string") throw new PolicyConfigError(`${at}/${i}`, range);
      return range;
    }),
  );
}
