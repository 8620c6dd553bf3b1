import autocannon, { type Result } from 'autocannon';
import type { BodySource } from './bodies.js';

/** One load run's figures. */
export interface LoadFigures {
  readonly requests: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly seconds: number;
  /** 2xx answers per second. */
  readonly okPerSec: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly statusCodes: Readonly<Record<string, number>>;
}

/**
 * Loads POST `<url>/v1/events` with autocannon: `connections` keep-alive connections for
 * `seconds`, each request with the next body of `bodies`.
 * @example const f = await load({ url, connections: 64, seconds: 20, bodies, headers: {} });
 */
export async function load(opts: {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  readonly bodies: BodySource;
  readonly headers: Record<string, string>;
}): Promise<LoadFigures> {
  const r: Result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/v1/events',
        headers: { 'content-type': 'application/json', ...opts.headers },
        setupRequest: (req) => {
          req.body = opts.bodies.next();
          return req;
        },
      },
    ],
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = Number(s.count);
  return {
    requests: r.requests.total,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    seconds: r.duration,
    okPerSec: r['2xx'] / r.duration,
    p50Ms: r.latency.p50,
    p90Ms: r.latency.p90,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    statusCodes,
  };
}
