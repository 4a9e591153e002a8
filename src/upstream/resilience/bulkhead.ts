// A bulkhead per upstream: at most `maxConcurrent` requests in flight, then an optional small FIFO queue
// whose waiters give up after `maxWaitMs`; beyond that a request is refused at once (the caller answers
// 503). The fast path (room available) is a compare and an increment: no promise, no closure, no timer.
// Queued requests are callback-based to fit the proxy's dispatch handlers; the queue is the slow path.
//
// Not cockatiel's BulkheadPolicy: it is `async execute(fn)` only (a promise per request), and its queue
// has no wait limit (a waiter leaves only through an AbortSignal).

export interface BulkheadOptions {
  readonly maxConcurrent: number;
  /** Waiters allowed when full; 0 refuses at once. */
  readonly maxQueue: number;
  /** How long a waiter may wait for a slot (ignored when maxQueue is 0). */
  readonly maxWaitMs: number;
}

export const DEFAULT_BULKHEAD: BulkheadOptions = Object.freeze({
  maxConcurrent: 1024,
  maxQueue: 0,
  maxWaitMs: 0,
});

/** `admitted` true: the waiter now holds a slot and must call leave() when done. false: it waited
 * maxWaitMs in vain (answer 503). Called at most once, never for a cancelled ticket; must not throw. */
export type AdmitCallback = (admitted: boolean) => void;

export interface BulkheadTicket {
  /** The waiter went away (client closed): leaves the queue without a callback. Once admitted it is a
   * no-op — the slot is the caller's and must be given back with leave(). */
  cancel(): void;
}

export class Bulkhead {
  readonly options: BulkheadOptions;
  #active = 0;
  readonly #queue: Waiter[] = [];

  constructor(options: BulkheadOptions) {
    const o = options;
    if (!(Number.isInteger(o.maxConcurrent) && o.maxConcurrent >= 1)) {
      throw new RangeError(`bulkhead maxConcurrent must be >= 1, got ${o.maxConcurrent}`);
    }
    if (!(Number.isInteger(o.maxQueue) && o.maxQueue >= 0)) {
      throw new RangeError(`bulkhead maxQueue must be >= 0, got ${o.maxQueue}`);
    }
    if (o.maxQueue > 0 && !(o.maxWaitMs > 0)) {
      throw new RangeError(`bulkhead maxWaitMs must be > 0 when maxQueue is set, got ${o.maxWaitMs}`);
    }
    this.options = Object.freeze({ ...o });
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Takes a slot if one is free. Waiters are always admitted first: a full queue means no free slot. */
  tryEnter(): boolean {
    if (this.#active >= this.options.maxConcurrent) return false;
    this.#active++;
    return true;
  }

  /** After tryEnter() said no: queues the request, or returns null when the queue is full or off
   * (refuse at once). */
  enqueue(onAdmit: AdmitCallback): BulkheadTicket | null {
    if (this.#queue.length >= this.options.maxQueue) return null;
    const waiter = new Waiter(this.#queue, onAdmit);
    this.#queue.push(waiter);
    waiter.timer = setTimeout(onWaitExpired, this.options.maxWaitMs, waiter);
    waiter.timer.unref();
    return waiter;
  }

  /** Gives a slot back; the longest waiter, if any, takes it over before this returns. */
  leave(): void {
    if (this.#active === 0) throw new Error("bulkhead leave() without a matching enter");
    const next = this.#queue.shift();
    if (next === undefined) {
      this.#active--;
      return;
    }
    // The slot passes straight to the waiter: active stays the same.
    next.settle(true);
  }
}

class Waiter implements BulkheadTicket {
  readonly #queue: Waiter[];
  #onAdmit: AdmitCallback | null;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(queue: Waiter[], onAdmit: AdmitCallback) {
    this.#queue = queue;
    this.#onAdmit = onAdmit;
  }

  cancel(): void {
    if (this.leaveQueue()) this.#finish();
  }

  /** Removes this waiter from the queue; false when it is no longer there (admitted, expired). */
  leaveQueue(): boolean {
    const i = this.#queue.indexOf(this);
    if (i === -1) return false;
    this.#queue.splice(i, 1);
    return true;
  }

  settle(admitted: boolean): void {
    const cb = this.#onAdmit;
    this.#finish();
    cb?.(admitted);
  }

  #finish(): void {
    this.#onAdmit = null;
    clearTimeout(this.timer);
  }
}

function onWaitExpired(waiter: Waiter): void {
  if (waiter.leaveQueue()) waiter.settle(false);
}
