// A running `rl serve` as the dashboard shows it: its Prometheus /-/metrics read every second,
// turned into requests per second and mean latency over each interval, per deployment.

export interface ServePoint {
  /** Seconds since the dashboard started watching. */
  t: number;
  requests_total: number;
  errors_total: number;
  /** Requests answered per second since the previous reading. */
  rate: number;
  /** Mean latency of the requests answered since the previous reading, in ms (null: none). */
  latency_ms: number | null;
}

export interface ServeData {
  url: string;
  /** deployment name -> readings, oldest first (the last 300). */
  deployments: Record<string, ServePoint[]>;
  error?: string;
}

interface Totals {
  requests: number;
  errors: number;
  latencySum: number;
  latencyCount: number;
}

/** Sums of the serve metrics per deployment, from Prometheus text format. */
export function serveTotals(text: string): Map<string, Totals> {
  const totals = new Map<string, Totals>();
  const of = (deployment: string) => {
    let t = totals.get(deployment);
    if (!t) totals.set(deployment, (t = { requests: 0, errors: 0, latencySum: 0, latencyCount: 0 }));
    return t;
  };
  for (const line of text.split('\n')) {
    const match = /^(rl_serve_\w+)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!match) continue;
    const deployment = /deployment="((?:[^"\\]|\\.)*)"/.exec(match[2])?.[1];
    const value = Number(match[3]);
    if (deployment === undefined || !Number.isFinite(value)) continue;
    if (match[1] === 'rl_serve_requests_total') of(deployment).requests += value;
    else if (match[1] === 'rl_serve_errors_total') of(deployment).errors += value;
    else if (match[1] === 'rl_serve_request_duration_seconds_sum') of(deployment).latencySum += value;
    else if (match[1] === 'rl_serve_request_duration_seconds_count') of(deployment).latencyCount += value;
  }
  return totals;
}

const KEEP = 300;

export class ServeWatcher {
  readonly data: ServeData;
  private last = new Map<string, Totals & { at: number }>();
  private readonly started = performance.now();

  constructor(readonly url: string) {
    this.data = { url, deployments: {} };
  }

  async poll(): Promise<void> {
    let text: string;
    try {
      const response = await fetch(new URL('/-/metrics', this.url), { signal: AbortSignal.timeout(2000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      text = await response.text();
    } catch (error) {
      this.data.error = `cannot read ${this.url}/-/metrics: ${(error as Error).message}`;
      return;
    }
    delete this.data.error;
    const now = performance.now();
    for (const [deployment, totals] of serveTotals(text)) {
      const before = this.last.get(deployment);
      const seconds = before ? (now - before.at) / 1000 : 0;
      const answered = before ? totals.latencyCount - before.latencyCount : 0;
      const point: ServePoint = {
        t: (now - this.started) / 1000,
        requests_total: totals.requests,
        errors_total: totals.errors,
        rate: before && seconds > 0 ? Math.max(0, totals.requests - before.requests) / seconds : 0,
        latency_ms: answered > 0 && before ? ((totals.latencySum - before.latencySum) / answered) * 1000 : null,
      };
      const points = (this.data.deployments[deployment] ??= []);
      points.push(point);
      if (points.length > KEEP) points.shift();
      this.last.set(deployment, { ...totals, at: now });
    }
  }
}
