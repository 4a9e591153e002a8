// Counter, gauge and histogram families whose children are plain numbers. prom-client's own children
// (`counter.labels(...)`) still hash the label object on every inc()/observe() (about 200 ns each, measured);
// these children do an addition, and the label work happens once when a child is first resolved.
// They register into a prom-client Registry like any metric (name, help, type, get(), reset()), so the
// exposition format, content type and default process metrics all stay prom-client's.
import type { Metric, Registry } from "prom-client";

type Labels = Record<string, string | number>;

interface Sample {
  value: number;
  labels: Labels;
  metricName?: string;
}

interface Snapshot {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  aggregator: "sum";
  values: Sample[];
}

interface FamilyOptions {
  name: string;
  help: string;
  labelNames: readonly string[];
}

export class CounterChild {
  value = 0;
  readonly labels: Labels;
  constructor(labels: Labels) {
    this.labels = labels;
  }
  inc(n = 1): void {
    this.value += n;
  }
}

export class GaugeChild {
  value = 0;
  readonly labels: Labels;
  constructor(labels: Labels) {
    this.labels = labels;
  }
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
  set(n: number): void {
    this.value = n;
  }
}

export class HistogramChild {
  /** Per-bucket (not cumulative) counts; index i counts values in (bounds[i-1], bounds[i]]. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly labels: Labels;
  private readonly bounds: readonly number[];
  constructor(labels: Labels, bounds: readonly number[]) {
    this.labels = labels;
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length);
  }
  observe(v: number): void {
    if (!(v >= 0) || v === Number.POSITIVE_INFINITY) return; // NaN or negative clock skew: drop, do not poison sum
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && v > bounds[i]) i++;
    if (i < bounds.length) this.counts[i]++;
    this.sum += v;
    this.count++;
  }
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

abstract class Family<C extends { labels: Labels }> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = "sum" as const;
  protected readonly labelNames: readonly string[];
  protected readonly children = new Map<string, C>();

  constructor(opts: FamilyOptions) {
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames;
  }

  /** Resolve once and keep the child; not meant for the request path. */
  child(...values: string[]): C {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
    }
    const key = values.join("\u0000");
    let c = this.children.get(key);
    if (c === undefined) {
      const labels: Labels = {};
      for (let i = 0; i < values.length; i++) labels[this.labelNames[i]] = values[i];
      c = this.create(labels);
      this.children.set(key, c);
    }
    return c;
  }

  registerIn(registry: Registry): this {
    // The registry only calls name/help/type/get()/reset(); prom-client's Metric type names its own classes.
    registry.registerMetric(this as unknown as Metric);
    return this;
  }

  protected abstract create(labels: Labels): C;
}

/** Counters and gauges: one number per child, exposed and reset the same way. */
abstract class ScalarFamily<C extends CounterChild | GaugeChild> extends Family<C> {
  abstract readonly type: "counter" | "gauge";
  async get(): Promise<Snapshot> {
    const values: Sample[] = [];
    for (const c of this.children.values()) values.push({ value: c.value, labels: c.labels });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
  reset(): void {
    for (const c of this.children.values()) c.value = 0;
  }
}

export class CounterFamily extends ScalarFamily<CounterChild> {
  readonly type = "counter" as const;
  protected create(labels: Labels): CounterChild {
    return new CounterChild(labels);
  }
}

export class GaugeFamily extends ScalarFamily<GaugeChild> {
  readonly type = "gauge" as const;
  protected create(labels: Labels): GaugeChild {
    return new GaugeChild(labels);
  }
}

export class HistogramFamily extends Family<HistogramChild> {
  readonly type = "histogram" as const;
  readonly buckets: readonly number[];
  constructor(opts: FamilyOptions & { buckets: readonly number[] }) {
    super(opts);
    if (opts.labelNames.includes("le"))
      throw new Error(`${opts.name}: "le" is reserved for histogram buckets`);
    const sorted = [...opts.buckets].sort((a, b) => a - b);
    this.buckets = Object.freeze(sorted);
  }
  protected create(labels: Labels): HistogramChild {
    return new HistogramChild(labels, this.buckets);
  }
  async get(): Promise<Snapshot> {
    const values: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const c of this.children.values()) {
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += c.counts[i];
        values.push({ metricName: bucketName, labels: { ...c.labels, le: this.buckets[i] }, value: acc });
      }
      values.push({ metricName: bucketName, labels: { ...c.labels, le: "+Inf" }, value: c.count });
      values.push({ metricName: `${this.name}_sum`, labels: c.labels, value: c.sum });
      values.push({ metricName: `${this.name}_count`, labels: c.labels, value: c.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
  reset(): void {
    for (const c of this.children.values()) c.reset();
  }
}
