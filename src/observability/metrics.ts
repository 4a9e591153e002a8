// The gateway's Prometheus metrics (listed with their meaning in docs/observability.md). Label children are
// resolved once and kept in nested Maps keyed by the label values themselves, so a request costs a few Map
// lookups and additions and builds no strings. Every label value comes from config or a bounded set
// (methods outside the standard ones count as "OTHER"), so a client cannot grow the series count.
import { collectDefaultMetrics, Registry } from "prom-client";
import {
  type CounterChild,
  CounterFamily,
  type GaugeChild,
  GaugeFamily,
  type HistogramChild,
  HistogramFamily,
} from "./metric-families.ts";

/** Seconds. From half a millisecond (a local reply) to ten seconds (a slow upstream near its timeout). */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const STANDARD_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "CONNECT",
  "TRACE",
]);

export const UNROUTED = "-";

export interface MetricsOptions {
  /** Collect prom-client's process and Node.js runtime metrics on this registry (default true). */
  defaultMetrics?: boolean;
}

interface RouteSeries {
  duration: HistogramChild;
  /** method → status code → counter */
  requests: Map<string, Map<number, CounterChild>>;
}

export class Metrics {
  readonly registry = new Registry();

  private readonly requests: CounterFamily;
  private readonly requestDuration: HistogramFamily;
  private readonly upstreamDuration: HistogramFamily;
  private readonly openConnections: GaugeFamily;
  private readonly upstreamErrors: CounterFamily;
  private readonly transitions: CounterFamily;
  private readonly policyEvents: CounterFamily;
  private readonly reloadSuccess: CounterChild;
  private readonly reloadFailure: CounterChild;
  private readonly lastReloadSuccess: GaugeChild;

  private readonly routes = new Map<string, RouteSeries>();
  private readonly upstreams = new Map<string, HistogramChild>();
  private readonly listeners = new Map<string, GaugeChild>();
  private readonly errors = new Map<string, Map<string, CounterChild>>();

  constructor(opts: MetricsOptions = {}) {
    const r = this.registry;
    this.requests = new CounterFamily({
      name: "portcullis_requests_total",
      help: 'Requests answered, by route ("-" when none matched), method and status code.',
      labelNames: ["route", "method", "code"],
    }).registerIn(r);
    this.requestDuration = new HistogramFamily({
      name: "portcullis_request_duration_seconds",
      help: "Time from the request's arrival to the end of the response, by route.",
      labelNames: ["route"],
      buckets: LATENCY_BUCKETS,
    }).registerIn(r);
    this.upstreamDuration = new HistogramFamily({
      name: "portcullis_upstream_duration_seconds",
      help: "Time from sending the request upstream to the end of the upstream response, by upstream.",
      labelNames: ["upstream"],
      buckets: LATENCY_BUCKETS,
    }).registerIn(r);
    this.openConnections = new GaugeFamily({
      name: "portcullis_open_connections",
      help: "Client connections currently open, by listener.",
      labelNames: ["listener"],
    }).registerIn(r);
    this.upstreamErrors = new CounterFamily({
      name: "portcullis_upstream_errors_total",
      help: "Upstream failures by upstream and response flag (UF connect, UT timeout, UC reset, UPE protocol).",
      labelNames: ["upstream", "flag"],
    }).registerIn(r);
    this.transitions = new CounterFamily({
      name: "portcullis_upstream_transitions_total",
      help: "Target state changes: check is active, passive (outlier ejection) or breaker; to is the new state.",
      labelNames: ["upstream", "target", "check", "to"],
    }).registerIn(r);
    this.policyEvents = new CounterFamily({
      name: "portcullis_policy_events_total",
      help: "Events policies count, e.g. a rate-limit store failing over to the local limiter.",
      labelNames: ["policy", "event"],
    }).registerIn(r);
    const reloads = new CounterFamily({
      name: "portcullis_config_reloads_total",
      help: "Configuration reload attempts by result (success or failure).",
      labelNames: ["result"],
    }).registerIn(r);
    this.reloadSuccess = reloads.child("success");
    this.reloadFailure = reloads.child("failure");
    this.lastReloadSuccess = new GaugeFamily({
      name: "portcullis_config_last_reload_success_timestamp_seconds",
      help: "Unix time of the last configuration load or reload that succeeded.",
      labelNames: [],
    })
      .registerIn(r)
      .child();
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: r });
  }

  recordRequest(
    route: string,
    method: string,
    status: number,
    durationSeconds: number,
    upstream: string | undefined,
    upstreamSeconds: number | undefined,
  ): void {
    let series = this.routes.get(route);
    if (series === undefined) series = this.routeSeries(route);
    series.duration.observe(durationSeconds);
    const m = STANDARD_METHODS.has(method) ? method : "OTHER";
    let byStatus = series.requests.get(m);
    if (byStatus === undefined) {
      byStatus = new Map();
      series.requests.set(m, byStatus);
    }
    let counter = byStatus.get(status);
    if (counter === undefined) {
      counter = this.requests.child(route || UNROUTED, m, String(status));
      byStatus.set(status, counter);
    }
    counter.inc();
    if (upstream !== undefined && upstreamSeconds !== undefined) {
      let h = this.upstreams.get(upstream);
      if (h === undefined) {
        h = this.upstreamDuration.child(upstream);
        this.upstreams.set(upstream, h);
      }
      h.observe(upstreamSeconds);
    }
  }

  connectionOpened(listener: string): void {
    this.listenerGauge(listener).inc();
  }

  connectionClosed(listener: string): void {
    this.listenerGauge(listener).dec();
  }

  /** Health and breaker transitions are rare: the child is looked up by name each time. */
  /** Something a policy wants operators to see counted (a store failing over, say). */
  recordPolicyEvent(policy: string, event: string): void {
    this.policyEvents.child(policy, event).inc();
  }

  recordTransition(upstream: string, target: string, check: string, to: string): void {
    this.transitions.child(upstream, target, check, to).inc();
  }

  recordUpstreamError(upstream: string, flag: string): void {
    let byFlag = this.errors.get(upstream);
    if (byFlag === undefined) {
      byFlag = new Map();
      this.errors.set(upstream, byFlag);
    }
    let c = byFlag.get(flag);
    if (c === undefined) {
      c = this.upstreamErrors.child(upstream, flag);
      byFlag.set(flag, c);
    }
    c.inc();
  }

  /** Call for the first load too, so the timestamp is set from startup. */
  recordReload(ok: boolean): void {
    if (ok) {
      this.reloadSuccess.inc();
      this.lastReloadSuccess.set(Date.now() / 1000);
    } else {
      this.reloadFailure.inc();
    }
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private routeSeries(route: string): RouteSeries {
    const series: RouteSeries = {
      duration: this.requestDuration.child(route || UNROUTED),
      requests: new Map(),
    };
    this.routes.set(route, series);
    return series;
  }

  private listenerGauge(listener: string): GaugeChild {
    let g = this.listeners.get(listener);
    if (g === undefined) {
      g = this.openConnections.child(listener);
      this.listeners.set(listener, g);
    }
    return g;
  }
}
