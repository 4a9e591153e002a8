// Applies compiled ops to a header bag in the documented order: remove, rename, set, add.
import type { HeaderBag } from "../../pipeline/types.ts";
import type { CompiledOps } from "./compile.ts";

export function applyOps(ops: CompiledOps, bag: HeaderBag): void {
  for (const name of ops.remove) {
    if (bag[name] !== undefined) delete bag[name];
  }
  for (const [from, to] of ops.rename) {
    const values = bag[from];
    if (values === undefined) continue;
    delete bag[from];
    bag[to] = values;
  }
  for (const [name, value] of ops.set) bag[name] = value;
  for (const [name, value] of ops.add) {
    const current = bag[name];
    // A fresh array: the bag may share arrays with the client's (read-only) headers.
    if (current === undefined) bag[name] = value;
    else if (typeof current === "string") bag[name] = [current, value];
    else bag[name] = [...current, value];
  }
}
