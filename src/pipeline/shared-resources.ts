// Objects policies share across plans (a JWKS per URI, an introspection cache per endpoint): created by
// the first plan that asks, reference-counted by plan, closed when the last plan using them is released.
// They are what lets a reload keep fetched keys and warm caches.
import type { Closable } from "./types.ts";

interface Entry {
  value: Closable;
  refs: number;
  /** A finished warm-up is not repeated by later plans. */
  warmed: Map<string, Promise<void>>;
}

export class SharedResources {
  readonly #entries = new Map<string, Entry>();

  get size(): number {
    return this.#entries.size;
  }

  acquire<T extends Closable>(key: string, create: () => T): T {
    let e = this.#entries.get(key);
    if (e === undefined) {
      e = { value: create(), refs: 0, warmed: new Map() };
      this.#entries.set(key, e);
    }
    e.refs++;
    return e.value as T;
  }

  release(key: string): void {
    const e = this.#entries.get(key);
    if (e === undefined || --e.refs > 0) return;
    this.#entries.delete(key);
    e.value.close();
  }

  /** Runs `task` once per resource and name while it succeeds; a failed run is retried by the next caller. */
  warmOnce(key: string | undefined, name: string, task: () => Promise<void>): Promise<void> {
    const e = key === undefined ? undefined : this.#entries.get(key);
    if (e === undefined) return task();
    let p = e.warmed.get(name);
    if (p === undefined) {
      p = task();
      e.warmed.set(name, p);
      p.catch(() => e.warmed.delete(name));
    }
    return p;
  }

  /** Every shared object now held (e.g. for the admin API to find the cache stores). */
  values(): Closable[] {
    return [...this.#entries.values()].map((e) => e.value);
  }

  closeAll(): void {
    for (const e of this.#entries.values()) e.value.close();
    this.#entries.clear();
  }
}
