// Compilation is written as a generator that yields at safe points. Startup and `validate` run it
// straight through; a reload runs it in slices and gives the event loop back between them, so requests
// in flight do not wait for a 5,000-route plan to be built.

export type Steps<T> = Generator<void, T, void>;

export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `steps`, yielding to the event loop whenever a slice has taken more than `sliceMs`. */
export async function runSliced<T>(steps: Steps<T>, sliceMs = 3): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
}
