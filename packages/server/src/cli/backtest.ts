import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { OUTCOMES, RISK_LEVELS } from '@vigil/engine';
import { systemClock, type Clock } from '../clock.js';
import { loadConfig } from '../config.js';
import { DomainError } from '../errors.js';
import { createAppService } from '../modules/apps/app.service.js';
import {
  BACKTEST_BASELINES,
  type BacktestBaseline,
  type BacktestReport,
  type LabelMetrics,
} from '../modules/backtests/backtest-report.js';
import { createBacktestService } from '../modules/backtests/backtest.service.js';
import type { BacktestRecord } from '../modules/backtests/backtest.store.js';
import { createListRegistry } from '../modules/lists/list-registry.js';
import { createListService } from '../modules/lists/list.service.js';
import { createModelHooks } from '../modules/models/model-hooks.js';
import { createModelStore } from '../modules/models/model.store.js';
import { openDatabase } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrations.js';
import type { CliIo } from './cli.js';

/** Help of `vigil backtest`. */
export const BACKTEST_HELP = `Usage: vigil backtest --app <id> --config <candidate.json> --from <time> --to <time>
                      [--baseline config|live] [--missed-fraud-rate <n>] [--review-cost <n>]
                      [--false-block-cost <n>] [--json] [--settings <file>]

Replays the app's stored events through a candidate configuration and reports how decisions
would change: counts by level and outcome, the transition matrix, users newly blocked or
released, and precision/recall/F1 of "outcome != allow" against the case labels (fraud and
chargeback positive; false_positive and legit negative; unlabelled events are excluded and
counted), with a cost figure. Runs in-process against the database (no server needed); the job
and its report are stored like those of POST /v1/backtests.

  --app <id>             the app whose events are replayed
  --config <file>        the candidate configuration document (JSON, as for PUT /v1/config)
  --from, --to <time>    ISO 8601 times or epoch ms, both inclusive, on the event time; every
                         earlier event is replayed too, to warm the features up
  --baseline <b>         config (default): the app's current configuration replayed the same
                         way; live: the decisions stored when the events arrived
  --missed-fraud-rate    cost per unit of amount of a fraud event allowed (default 1)
  --review-cost          cost of each event sent to review or challenge (default 2)
  --false-block-cost     cost of each legitimate event blocked (default 20)
  --json                 print the stored job with its report as JSON
  --settings <file>      JSON file with configuration variables (DATA_DIR, DATABASE_URL, ...)`;

class Usage extends Error {}

function time(value: string | undefined, name: string): number {
  if (value === undefined) throw new Usage(`--${name} is required`);
  const ms = /^[0-9]+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new Usage(`--${name} must be an ISO 8601 time or epoch ms, not '${value}'`);
  return ms;
}

function cost(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new Usage(`--${name} must be a number >= 0`);
  return n;
}

function isBaseline(x: string): x is BacktestBaseline {
  return (BACKTEST_BASELINES as readonly string[]).includes(x);
}

const pct = (x: number | null): string => (x === null ? '   -  ' : `${(x * 100).toFixed(1).padStart(5)}%`);
const money = (x: number): string => x.toFixed(2);

function metricsLine(name: string, m: LabelMetrics): string {
  return `  ${name.padEnd(10)} ${pct(m.precision)}  ${pct(m.recall)}  ${pct(m.f1)}   tp ${m.tp} fp ${m.fp} fn ${m.fn} tn ${m.tn}\n`;
}

/**
 * The human-readable report of a finished backtest.
 * @example io.out(formatBacktestReport(job, job.result));
 */
export function formatBacktestReport(job: BacktestRecord, r: BacktestReport): string {
  const lines: string[] = [];
  const base = job.baseline === 'config' ? `configuration v${job.baselineVersion}` : 'live decisions';
  lines.push(
    `backtest ${job.id} of app ${job.appId}: ${new Date(job.from).toISOString()} .. ${new Date(job.to).toISOString()} (baseline: ${base})\n`,
  );
  const e = r.events;
  lines.push(
    `events: ${e.replayed} replayed (${e.warmup} warm-up only), ${e.compared} compared, ${e.changed} with a different outcome` +
      (e.baselineMissing > 0 ? `, ${e.baselineMissing} without a stored decision (not compared)` : '') +
      '\n\n',
  );
  lines.push(`  ${'outcome'.padEnd(10)} ${'baseline'.padStart(9)} ${'candidate'.padStart(9)}   change\n`);
  for (const o of OUTCOMES) {
    const b = r.baseline.byOutcome[o];
    const c = r.candidate.byOutcome[o];
    lines.push(
      `  ${o.padEnd(10)} ${String(b).padStart(9)} ${String(c).padStart(9)}   ${c - b >= 0 ? '+' : ''}${c - b}\n`,
    );
  }
  lines.push(`\n  ${'level'.padEnd(10)} ${'baseline'.padStart(9)} ${'candidate'.padStart(9)}   change\n`);
  for (const l of RISK_LEVELS) {
    const b = r.baseline.byLevel[l];
    const c = r.candidate.byLevel[l];
    lines.push(
      `  ${l.padEnd(10)} ${String(b).padStart(9)} ${String(c).padStart(9)}   ${c - b >= 0 ? '+' : ''}${c - b}\n`,
    );
  }
  const moves: string[] = [];
  for (const from of OUTCOMES)
    for (const to of OUTCOMES) {
      const n = r.transitions.outcomes[from][to];
      if (from !== to && n > 0) moves.push(`${from} -> ${to}: ${n}`);
    }
  lines.push(`\noutcome changes: ${moves.length === 0 ? 'none' : moves.join(', ')}\n`);
  const users = (names: readonly string[], n: number) =>
    n === 0 ? '' : ` (${names.slice(0, 20).join(', ')}${n > 20 ? `, … ${n - 20} more` : ''})`;
  lines.push(
    `users newly blocked: ${r.users.newlyBlocked}${users(r.users.newlyBlockedUsers, r.users.newlyBlocked)}\n`,
  );
  lines.push(`users released: ${r.users.released}${users(r.users.releasedUsers, r.users.released)}\n\n`);
  lines.push(
    `labels: ${r.labels.positive} fraud, ${r.labels.negative} legitimate, ${r.labels.unlabelled} unlabelled (excluded); ${r.labels.fromUser} labelled through their user\n`,
  );
  lines.push(`  ${''.padEnd(10)} precision  recall     F1   ("outcome != allow" against the labels)\n`);
  lines.push(metricsLine('baseline', r.metrics.baseline));
  lines.push(metricsLine('candidate', r.metrics.candidate));
  const c = r.costs;
  lines.push(
    `\ncost (missed fraud × ${c.missedFraudRate}, ${c.reviewCost} per review/challenge, ${c.falseBlockCost} per false block):\n`,
  );
  for (const [name, k] of [
    ['baseline', r.cost.baseline],
    ['candidate', r.cost.candidate],
  ] as const) {
    lines.push(
      `  ${name.padEnd(10)} ${money(k.total).padStart(12)}  = missed ${money(k.missedFraudCost)} + reviews ${money(k.reviewCost)} (${k.flagged}) + false blocks ${money(k.falseBlockCost)} (${k.falseBlocks})\n`,
    );
  }
  lines.push(
    `  ${'change'.padEnd(10)} ${`${r.cost.delta > 0 ? '+' : ''}${money(r.cost.delta)}`.padStart(12)}\n`,
  );
  return lines.join('');
}

/**
 * `vigil backtest`: runs a backtest in-process and prints its report. Returns the exit code (0
 * done, 1 failed, 2 usage).
 * @example const code = await runBacktestCommand(['--app', id, '--config', 'c.json', '--from', '2026-01-01', '--to', '2026-02-01'], io);
 */
export async function runBacktestCommand(
  args: readonly string[],
  io: CliIo,
  clock: Clock = systemClock,
): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        app: { type: 'string' },
        config: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        baseline: { type: 'string' },
        'missed-fraud-rate': { type: 'string' },
        'review-cost': { type: 'string' },
        'false-block-cost': { type: 'string' },
        json: { type: 'boolean', default: false },
        settings: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (err) {
    io.err(`vigil: ${err instanceof Error ? err.message : String(err)}\n\n${BACKTEST_HELP}\n`);
    return 2;
  }
  if (values.help) {
    io.out(`${BACKTEST_HELP}\n`);
    return 0;
  }
  let input: {
    app: string;
    candidate: unknown;
    from: number;
    to: number;
    baseline: BacktestBaseline;
    costs: Record<string, number>;
  };
  try {
    if (values.app === undefined) throw new Usage('--app is required');
    if (values.config === undefined)
      throw new Usage('--config (the candidate configuration file) is required');
    const baseline = values.baseline ?? 'config';
    if (!isBaseline(baseline)) throw new Usage(`--baseline must be one of ${BACKTEST_BASELINES.join(', ')}`);
    const costs: Record<string, number> = {};
    for (const [flag, key] of [
      ['missed-fraud-rate', 'missedFraudRate'],
      ['review-cost', 'reviewCost'],
      ['false-block-cost', 'falseBlockCost'],
    ] as const) {
      const n = cost(values[flag], flag);
      if (n !== undefined) costs[key] = n;
    }
    let text: string;
    try {
      text = readFileSync(values.config, 'utf8');
    } catch (err) {
      throw new Usage(`cannot read ${values.config}: ${err instanceof Error ? err.message : String(err)}`);
    }
    let candidate: unknown;
    try {
      candidate = JSON.parse(text);
    } catch (err) {
      throw new Usage(`${values.config} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    input = {
      app: values.app,
      candidate,
      from: time(values.from, 'from'),
      to: time(values.to, 'to'),
      baseline,
      costs,
    };
  } catch (err) {
    if (!(err instanceof Usage)) throw err;
    io.err(`vigil: ${err.message}\n\n${BACKTEST_HELP}\n`);
    return 2;
  }

  const config = loadConfig(io.env, values.settings);
  const db = await openDatabase(config.database, { poolSize: 2 });
  try {
    await migrateToLatest(db);
    const registry = createListRegistry();
    await createListService({ db, clock, registry, apps: createAppService({ db, clock }) }).load();
    // deployed and shadow models take part as they do live
    const models = createModelHooks(createModelStore(db));
    const loaded = await models.reload();
    for (const f of loaded.failures)
      io.err(`vigil: warning: a stored model cannot be loaded: ${JSON.stringify(f)}\n`);
    // one long slice: nothing else shares this process's event loop
    const backtests = createBacktestService(
      { db, clock, lists: registry, models: (appId) => models.forApp(appId) },
      { sliceMs: 1000 },
    );
    let id: string;
    try {
      id = await backtests.start(input.app, input.candidate, {
        from: input.from,
        to: input.to,
        baseline: input.baseline,
        costs: input.costs,
        createdBy: 'cli',
      });
    } catch (err) {
      if (err instanceof DomainError) {
        const details = err.details.map((d) => `\n  ${d.path}: ${d.message}`).join('');
        io.err(`vigil: ${err.message} (${err.code})${details}\n`);
        return 1;
      }
      throw err;
    }
    await backtests.idle();
    const job = await backtests.get(id, input.app);
    if (values.json) io.out(`${JSON.stringify(job)}\n`);
    else if (job.status === 'done' && job.result !== null) io.out(formatBacktestReport(job, job.result));
    if (job.status !== 'done') {
      io.err(`vigil: backtest ${id} ${job.status}: ${job.message ?? 'unknown error'}\n`);
      return 1;
    }
    return 0;
  } finally {
    await db.close();
  }
}
