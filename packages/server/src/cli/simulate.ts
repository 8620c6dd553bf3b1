import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import {
  createSimulator,
  OUTCOMES,
  RISK_LEVELS,
  SCENARIO_NAMES,
  type Outcome,
  type RiskLevel,
  type SimulatedEvent,
} from '@vigil/engine';
import type { CliIo } from './cli.js';

/** Help of `vigil simulate`. */
export const SIMULATE_HELP = `Usage: vigil simulate --url <http://127.0.0.1:8080> --key <app key> [options]

Sends the simulator's labelled traffic (normal users plus eight attack scenarios) to a running
server as POST /v1/events, with bounded concurrency, then prints the decisions by level and, per
scenario, recall and precision computed from the returned outcomes (flagged = outcome is not
allow). Traffic goes only to --url; a non-loopback URL is refused unless --allow-remote is given.

Options:
  --url <url>          the server (default http://127.0.0.1:8080)
  --key <key>          an app API key (required)
  --events <n>         events to send (default 10000)
  --rate <r>           events per second (default 0: as fast as the server answers)
  --concurrency <n>    requests in flight (default 16)
  --seed <s>           simulator seed (default 1)
  --users <n>          initial simulated users (default events/50, from 200 to 10000)
  --attack-rate <r>    fraction of malicious events (default 0.02)
  --id-prefix <p>      event id prefix (default: unique per run, so reruns are new events)
  --allow-remote       allow a URL that is not loopback
  --json               print the report as JSON`;

/** Per-scenario detection from the returned outcomes. */
export interface ScenarioReport {
  readonly scenario: string;
  /** Events of the scenario answered with a decision. */
  readonly events: number;
  readonly flagged: number;
  /** flagged / events (for `normal`: the false-positive rate). */
  readonly recall: number;
  /** flagged / (flagged + flagged normal events of the event types this scenario sends); null when nothing was flagged. */
  readonly precision: number | null;
}

/** What a simulation run did. */
export interface SimulateReport {
  readonly url: string;
  readonly sent: number;
  readonly decided: number;
  readonly duplicates: number;
  /** Failed requests by HTTP status (0 = no response). */
  readonly failed: Readonly<Record<string, number>>;
  readonly firstErrors: readonly string[];
  readonly ms: number;
  readonly eventsPerSec: number;
  readonly byLevel: Readonly<Record<RiskLevel, number>>;
  readonly byOutcome: Readonly<Record<Outcome, number>>;
  /** Over malicious events: flagged malicious / flagged. */
  readonly precision: number | null;
  readonly recall: number | null;
  readonly falsePositiveRate: number | null;
  readonly scenarios: readonly ScenarioReport[];
}

const LOOPBACK_NAMES = new Set(['localhost', 'ip6-localhost', 'ip6-loopback']);

/**
 * Whether a URL points at this machine (localhost, 127.0.0.0/8, ::1).
 * @example isLoopbackUrl(new URL('http://127.0.0.1:8080')); // true
 */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (LOOPBACK_NAMES.has(host) || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(host);
  return false;
}

/** Tallies decisions of labelled events. */
export interface SimTally {
  add(label: SimulatedEvent['label'], type: string, outcome: Outcome, level: RiskLevel): void;
  readonly byLevel: Record<RiskLevel, number>;
  readonly byOutcome: Record<Outcome, number>;
  scenarios(): ScenarioReport[];
  overall(): { precision: number | null; recall: number | null; falsePositiveRate: number | null };
}

/**
 * Creates a tally of decisions by scenario and event type.
 * @example const t = createSimTally(); t.add({ malicious: false, scenario: 'normal' }, 'login', 'allow', 'SAFE');
 */
export function createSimTally(): SimTally {
  const byLevel: Record<RiskLevel, number> = { SAFE: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };
  const byOutcome: Record<Outcome, number> = { allow: 0, challenge: 0, review: 0, block: 0 };
  const events = new Map<string, number>();
  const flagged = new Map<string, number>();
  const typesOf = new Map<string, Set<string>>();
  const normalFlaggedByType = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  return {
    byLevel,
    byOutcome,
    add(label, type, outcome, level) {
      byLevel[level]++;
      byOutcome[outcome]++;
      const s = label.scenario;
      inc(events, s);
      const isFlagged = outcome !== 'allow';
      if (isFlagged) inc(flagged, s);
      if (label.malicious) {
        const set = typesOf.get(s) ?? new Set<string>();
        set.add(type);
        typesOf.set(s, set);
      } else if (isFlagged) inc(normalFlaggedByType, type);
    },
    scenarios() {
      const names = ['normal', ...SCENARIO_NAMES].filter((s) => (events.get(s) ?? 0) > 0);
      return names.map((s) => {
        const n = events.get(s) ?? 0;
        const f = flagged.get(s) ?? 0;
        let precision: number | null = null;
        if (s !== 'normal') {
          let fp = 0;
          for (const t of typesOf.get(s) ?? []) fp += normalFlaggedByType.get(t) ?? 0;
          precision = f + fp > 0 ? f / (f + fp) : null;
        }
        return { scenario: s, events: n, flagged: f, recall: n > 0 ? f / n : 0, precision };
      });
    },
    overall() {
      let mal = 0;
      let malFlagged = 0;
      for (const [s, n] of events) {
        if (s === 'normal') continue;
        mal += n;
        malFlagged += flagged.get(s) ?? 0;
      }
      const normal = events.get('normal') ?? 0;
      const normalFlagged = flagged.get('normal') ?? 0;
      const allFlagged = malFlagged + normalFlagged;
      return {
        precision: allFlagged > 0 ? malFlagged / allFlagged : null,
        recall: mal > 0 ? malFlagged / mal : null,
        falsePositiveRate: normal > 0 ? normalFlagged / normal : null,
      };
    },
  };
}

function positive(v: string | undefined, name: string, dflt: number, integer: boolean): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name} must be a non-negative ${integer ? 'whole ' : ''}number, got '${v}'`);
  }
  return n;
}

/** Events per second of the simulator per initial user (10,000 users send 1M events in about 8.2 days). */
const EVENTS_PER_USER_SECOND = 1.41e-4;
const DAY_MS = 86_400_000;

interface Decided {
  readonly outcome: Outcome;
  readonly level: RiskLevel;
}

function isDecided(x: unknown): x is Decided {
  if (typeof x !== 'object' || x === null || !('outcome' in x) || !('level' in x)) return false;
  const { outcome, level } = x;
  return (
    typeof outcome === 'string' &&
    typeof level === 'string' &&
    (OUTCOMES as readonly string[]).includes(outcome) &&
    (RISK_LEVELS as readonly string[]).includes(level)
  );
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * `vigil simulate`: sends simulated traffic to a running server and reports detection. Returns the
 * exit code (1 when no event got a decision).
 * @example const code = await runSimulateCommand(['--url', 'http://127.0.0.1:8080', '--key', key, '--events', '1000'], io);
 */
export async function runSimulateCommand(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        url: { type: 'string', default: 'http://127.0.0.1:8080' },
        key: { type: 'string' },
        events: { type: 'string' },
        rate: { type: 'string' },
        concurrency: { type: 'string' },
        seed: { type: 'string' },
        users: { type: 'string' },
        'attack-rate': { type: 'string' },
        'id-prefix': { type: 'string' },
        'allow-remote': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (err) {
    io.err(`vigil: ${err instanceof Error ? err.message : String(err)}\n\n${SIMULATE_HELP}\n`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    io.out(`${SIMULATE_HELP}\n`);
    return 0;
  }
  const usage = (message: string): number => {
    io.err(`vigil: ${message}\n\n${SIMULATE_HELP}\n`);
    return 2;
  };
  let base: URL;
  try {
    base = new URL(values.url);
  } catch {
    return usage(`--url '${values.url}' is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    return usage('--url must be http:// or https://');
  if (!isLoopbackUrl(base) && !values['allow-remote']) {
    return usage(`refusing to send traffic to ${base.host}, which is not this machine (add --allow-remote)`);
  }
  if (values.key === undefined || values.key === '') return usage('--key (an app API key) is required');
  let events: number, rate: number, concurrency: number, seed: number, attackRate: number, users: number;
  try {
    events = positive(values.events, 'events', 10_000, true);
    rate = positive(values.rate, 'rate', 0, false);
    concurrency = Math.max(1, positive(values.concurrency, 'concurrency', 16, true));
    seed = positive(values.seed, 'seed', 1, true);
    attackRate = positive(values['attack-rate'], 'attack-rate', 0.02, false);
    users = positive(values.users, 'users', Math.min(10_000, Math.max(200, Math.round(events / 50))), true);
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
  if (attackRate > 1) return usage('--attack-rate must be between 0 and 1');
  if (events < 1) return usage('--events must be at least 1');

  const now = Date.now();
  // start far enough back that the simulated timeline ends before now (the server refuses future events)
  const spanMs = (events / (Math.max(users, 1) * EVENTS_PER_USER_SECOND)) * 1000;
  const start = Math.floor(now - Math.min(300 * DAY_MS, Math.max(DAY_MS, spanMs * 1.5 + DAY_MS)));
  const idPrefix = values['id-prefix'] ?? `sim${seed}-${now.toString(36)}-`;
  const sim = createSimulator({ seed, users, attackRate, start, idPrefix });
  const target = new URL('/v1/events', base).href;
  const headers = { authorization: `Bearer ${values.key}`, 'content-type': 'application/json' };

  const tally = createSimTally();
  const failed: Record<string, number> = {};
  const firstErrors: string[] = [];
  let sent = 0;
  let decided = 0;
  let duplicates = 0;
  const fail = (status: number, text: string) => {
    failed[String(status)] = (failed[String(status)] ?? 0) + 1;
    if (firstErrors.length < 5)
      firstErrors.push(`${status === 0 ? 'no response' : `HTTP ${status}`}: ${text.slice(0, 300)}`);
  };

  const started = performance.now();
  let next = 0;
  async function send(item: SimulatedEvent): Promise<void> {
    const { app: _app, ...body } = item.event;
    const payload = JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(target, { method: 'POST', headers, body: payload });
      } catch (err) {
        fail(0, err instanceof Error ? err.message : String(err));
        return;
      }
      const text = await res.text();
      if ((res.status === 429 || res.status === 503) && attempt < 3) {
        const after = Number(res.headers.get('retry-after') ?? '1');
        await sleep(Math.min(5, Number.isFinite(after) ? after : 1) * 1000);
        continue;
      }
      if (res.status !== 200) {
        fail(res.status, text);
        return;
      }
      let d: unknown;
      try {
        d = JSON.parse(text);
      } catch {
        fail(200, 'the answer is not JSON');
        return;
      }
      if (!isDecided(d)) {
        fail(200, 'the answer has no outcome and level');
        return;
      }
      decided++;
      if (res.headers.get('vigil-duplicate') === 'true') duplicates++;
      tally.add(item.label, item.event.type, d.outcome, d.level);
      return;
    }
  }
  async function lane(): Promise<void> {
    for (;;) {
      const i = next++;
      if (i >= events) return;
      const item = sim.next().value;
      if (rate > 0) {
        const due = started + (i / rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }
      sent++;
      await send(item);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, events) }, lane));
  const ms = performance.now() - started;

  const report: SimulateReport = {
    url: base.origin,
    sent,
    decided,
    duplicates,
    failed,
    firstErrors,
    ms: Math.round(ms),
    eventsPerSec: Math.round(decided / Math.max(ms / 1000, 1e-3)),
    byLevel: tally.byLevel,
    byOutcome: tally.byOutcome,
    ...tally.overall(),
    scenarios: tally.scenarios(),
  };
  if (values.json) io.out(`${JSON.stringify(report)}\n`);
  else io.out(renderReport(report));
  return decided > 0 ? 0 : 1;
}

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

function renderReport(r: SimulateReport): string {
  const failedTotal = Object.values(r.failed).reduce((a, b) => a + b, 0);
  const lines = [
    `sent ${r.sent} events to ${r.url} in ${(r.ms / 1000).toFixed(2)} s: ${r.decided} decisions (${r.eventsPerSec}/s)${r.duplicates > 0 ? `, ${r.duplicates} already known (same id)` : ''}${failedTotal > 0 ? `, ${failedTotal} failed` : ''}`,
  ];
  if (failedTotal > 0) {
    lines.push(
      `failed by status: ${Object.entries(r.failed)
        .map(([s, n]) => `${s === '0' ? 'no response' : s} ${n}`)
        .join(', ')}`,
    );
    for (const e of r.firstErrors) lines.push(`  ${e}`);
  }
  lines.push(`levels:   ${RISK_LEVELS.map((l) => `${l} ${r.byLevel[l]}`).join(', ')}`);
  lines.push(`outcomes: ${OUTCOMES.map((o) => `${o} ${r.byOutcome[o]}`).join(', ')}`);
  lines.push(
    `overall (flagged = not allow): precision ${pct(r.precision)}, recall ${pct(r.recall)}, false-positive rate ${pct(r.falsePositiveRate)}`,
  );
  lines.push('');
  lines.push(
    `${'scenario'.padEnd(20)}${'events'.padStart(8)}${'flagged'.padStart(9)}${'recall'.padStart(9)}${'precision'.padStart(11)}`,
  );
  for (const s of r.scenarios) {
    lines.push(
      `${s.scenario.padEnd(20)}${String(s.events).padStart(8)}${String(s.flagged).padStart(9)}${(s.scenario === 'normal' ? `fp ${pct(s.recall)}` : pct(s.recall)).padStart(9)}${pct(s.precision).padStart(11)}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
