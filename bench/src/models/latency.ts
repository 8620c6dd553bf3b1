/**
 * Single-call latency percentiles (µs) with process.hrtime.bigint, after a warm-up.
 */

/** p50 and p99 of one operation, in microseconds. */
export interface Latency {
  readonly p50: number;
  readonly p99: number;
}

/**
 * Times `fn(i)` for i = 0..samples-1 one call at a time (after `warmup` untimed calls).
 * @example measureLatency((i) => model.predict(rowOf(i)), 50_000);
 */
export function measureLatency(fn: (i: number) => number, samples: number, warmup = 5000): Latency {
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += fn(i);
  const t = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    sink += fn(i);
    t[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  if (Number.isNaN(sink)) throw new Error('latency: the timed function returned NaN');
  t.sort();
  const r = (v: number): number => Math.round(v * 100) / 100;
  return { p50: r(t[samples >> 1]!), p99: r(t[Math.floor(samples * 0.99)]!) };
}
