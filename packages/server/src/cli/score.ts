import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { isEventType, OUTCOMES, type EventType } from '@vigil/engine';
import {
  resultFormatOf,
  scoreFile,
  streamSink,
  type ResultSink,
  type ScoreFileResult,
  type ScoreProgress,
} from '../modules/batch/score-file.js';
import { csvCell } from '../modules/batch/csv-scanner.js';
import { RESULT_FORMATS, type ResultFormat } from '../modules/batch/row-scorer.js';
import { SHARD_STRATEGIES, type ShardStrategy } from '../modules/batch/shard-plan.js';
import type { CliIo } from './cli.js';
import type { AppScoring } from './score-app.js';

/** Help of `vigil score`. */
export const SCORE_HELP = `Usage: vigil score <file.csv|file.ndjson> [options]

Scores a file of events offline with the engine (no server needed) and writes one result row per
input row, in input order: line, id, user, type, risk, score, level, outcome, flag, the top
signals, and the error of a rejected row (plus label when the input has one).

Input: CSV with a header, or NDJSON (one event object per line; .ndjson/.jsonl). CSV columns are
event fields: id, type, at (ISO 8601 or epoch ms/s), user, tier, amount, currency, ip, device,
user_agent, lat, lon, country, wallet, counterparty, merchant, terminal, email, referrer,
content_hash, session, attrs.<key> (or one JSON 'attrs' column), and label/is_fraud for ground
truth. Aliases: user_id, transaction_id, timestamp, ip_address, device_id, merchant_id, ...
Rows without an id get line-<n>. Bad rows are reported by line and do not stop the others.
Without --app, the engine runs on the given (or default) configuration and no model, app batch.

Options:
  --out <file>        results file (default: standard output)
  --format <f>        ${RESULT_FORMATS.join(' | ')} (default: by --out's extension, else csv)
  --workers <n>       worker threads (default ${availableParallelism()}, the CPUs available)
  --shard-by <s>      ${SHARD_STRATEGIES.join(' | ')} (default entity, see below)
  --config <file>     the app's engine configuration (JSON, as PUT /v1/config takes)
  --app <id>          score as this app of the server's database: its stored configuration and
                      its deployed models (their scores count) and shadow models (reported apart,
                      never counted), as POST /v1/batch does; also the app of events without one.
                      --config, when given too, replaces the stored configuration.
  --data-dir <dir>    with --app: the server's data directory (default DATA_DIR, else ./data;
                      DATABASE_URL=postgres://... reads PostgreSQL instead)
  --type <type>       event type of rows without one (default: such rows are rejected)
  --errors <file>     write every rejected row (line,message) to a CSV file
  --json              print the summary as JSON
  --no-progress       no progress bar (it shows only when standard error is a terminal)
  -h, --help          this help

Sharding: each worker has its own feature store and sees its rows in file order. With --shard-by
entity (the default) a first pass over the file puts users who share a device or an IP in the same
worker, so user, device and IP features are exact; other keys shared across workers (an e-mail
domain, a counterparty, a referrer) only see the same worker's rows. --shard-by user skips the first
pass and splits device and IP features as well. --workers 1 is exact.`;

const MAX_ERRORS_SHOWN = 20;

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function progressLine(p: ScoreProgress, startedMs: number): string {
  const frac = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 1;
  const width = 24;
  const filled = Math.round(frac * width);
  const secs = (performance.now() - startedMs) / 1000;
  const rate = secs > 0 ? p.rows / secs : 0;
  const eta = frac > 0.01 ? Math.max(0, secs / frac - secs) : Number.NaN;
  return `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}%  ${fmtInt(p.rows)} rows  ${fmtInt(rate)} rows/s  ETA ${Number.isNaN(eta) ? '?' : `${eta.toFixed(0)}s`}   `;
}

function modelsJson(r: ScoreFileResult) {
  return r.models.map((m) => ({
    model: m.model,
    version: m.version,
    status: m.live ? 'deployed' : 'shadow',
    scored: m.scored,
    mean: m.scored > 0 ? m.sum / m.scored : null,
    atOrAboveHalf: m.high,
  }));
}

type AppScoringModule = typeof import('./score-app.js');

function isAppScoringModule(m: unknown): m is AppScoringModule {
  return (
    typeof m === 'object' &&
    m !== null &&
    'loadAppScoring' in m &&
    typeof m.loadAppScoring === 'function' &&
    'AppScoringError' in m &&
    typeof m.AppScoringError === 'function'
  );
}

/**
 * Loads `--app`'s configuration and models. The module is imported by a computed name so the
 * bundle `vigil score` starts from (bin/score-launch.js, which leaves `--app` runs to the sources)
 * never pulls in the database drivers.
 */
async function appScoring(
  appId: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<
  | { readonly ok: true; readonly value: AppScoring }
  | { readonly ok: false; readonly code: number; readonly message: string }
> {
  const spec = import.meta.url.endsWith('.ts') ? './score-app.ts' : './score-app.js';
  const mod: unknown = await import(new URL(spec, import.meta.url).href);
  if (!isAppScoringModule(mod)) throw new Error(`${spec} does not export loadAppScoring`);
  try {
    return { ok: true, value: await mod.loadAppScoring(appId, env) };
  } catch (err) {
    if (err instanceof mod.AppScoringError)
      return { ok: false, code: err.usage ? 2 : 1, message: err.message };
    throw err;
  }
}

function summaryText(r: ScoreFileResult, out: string | undefined): string {
  const t = r.totals;
  const secs = r.ms / 1000;
  const lines = [
    `scored ${fmtInt(t.rows)} rows (${fmtInt(t.scored)} scored, ${fmtInt(t.errorCount)} rejected) in ${secs.toFixed(2)} s: ${fmtInt(t.rows / Math.max(secs, 1e-9))} rows/s with ${r.workers} worker${r.workers === 1 ? '' : 's'}${r.workers > 1 ? ` sharded by ${r.shardBy}${r.planMs > 0 ? ` (first pass ${(r.planMs / 1000).toFixed(2)} s)` : ''}` : ''}`,
  ];
  if (t.scored > 0) {
    lines.push(
      `outcomes: ${OUTCOMES.map((o) => `${o} ${fmtInt(t.byOutcome[o])} (${((t.byOutcome[o] / t.scored) * 100).toFixed(1)}%)`).join(', ')}`,
    );
  }
  for (const m of r.models) {
    const mean = m.scored > 0 ? (m.sum / m.scored).toFixed(4) : '-';
    lines.push(
      `model ${m.model} v${m.version} (${m.live ? 'deployed' : 'shadow, not counted'}): ${fmtInt(m.scored)} scored, mean ${mean}, ${fmtInt(m.high)} at 0.5 or above`,
    );
  }
  for (const w of r.warnings) lines.push(`note: ${w}`);
  if (t.errorCount > 0) {
    const shown = t.errors.slice(0, MAX_ERRORS_SHOWN);
    lines.push(
      `rejected rows${t.errorCount > shown.length ? ` (first ${shown.length} of ${fmtInt(t.errorCount)})` : ''}:`,
    );
    for (const e of shown) lines.push(`  line ${e.line}: ${e.message}`);
  }
  if (out !== undefined) lines.push(`results: ${out}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `vigil score`: batch scoring of a CSV or NDJSON file. Returns the exit code (0 done, even with
 * rejected rows; 1 when the file or configuration cannot be used; 2 on wrong arguments).
 * @example const code = await runScoreCommand(['events.csv', '--out', 'scored.csv'], io);
 */
export async function runScoreCommand(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        out: { type: 'string' },
        format: { type: 'string' },
        workers: { type: 'string' },
        'shard-by': { type: 'string' },
        config: { type: 'string' },
        app: { type: 'string' },
        'data-dir': { type: 'string' },
        type: { type: 'string' },
        errors: { type: 'string' },
        json: { type: 'boolean', default: false },
        'no-progress': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    io.err(`vigil: ${err instanceof Error ? err.message : String(err)}\n\n${SCORE_HELP}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(`${SCORE_HELP}\n`);
    return 0;
  }
  const usage = (message: string): number => {
    io.err(`vigil: ${message}\n\n${SCORE_HELP}\n`);
    return 2;
  };
  if (positionals.length !== 1) return usage('score needs exactly one input file');
  const input = positionals[0]!;
  let format: ResultFormat = values.out !== undefined ? resultFormatOf(values.out) : 'csv';
  if (values.format !== undefined) {
    const f = RESULT_FORMATS.find((x) => x === values.format);
    if (f === undefined) return usage(`--format must be one of ${RESULT_FORMATS.join(', ')}`);
    format = f;
  }
  let workers: number | undefined;
  if (values.workers !== undefined) {
    if (!/^\d+$/.test(values.workers) || Number(values.workers) < 1 || Number(values.workers) > 64)
      return usage('--workers must be a whole number from 1 to 64');
    workers = Number(values.workers);
  }
  let shardBy: ShardStrategy | undefined;
  if (values['shard-by'] !== undefined) {
    shardBy = SHARD_STRATEGIES.find((x) => x === values['shard-by']);
    if (shardBy === undefined) return usage(`--shard-by must be one of ${SHARD_STRATEGIES.join(', ')}`);
  }
  let defaultType: EventType | undefined;
  if (values.type !== undefined) {
    if (!isEventType(values.type)) return usage(`--type '${values.type}' is not an event type`);
    defaultType = values.type;
  }
  if (values['data-dir'] !== undefined && values.app === undefined)
    return usage('--data-dir is only used with --app');
  if (values.app !== undefined && values.app.trim() === '') return usage('--app needs an app id');
  let engineConfig: unknown;
  if (values.config !== undefined) {
    try {
      engineConfig = JSON.parse(readFileSync(values.config, 'utf8'));
    } catch (err) {
      io.err(`vigil: cannot read ${values.config}: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
  }

  let app: AppScoring | undefined;
  if (values.app !== undefined) {
    const env = values['data-dir'] === undefined ? io.env : { ...io.env, DATA_DIR: values['data-dir'] };
    const loaded = await appScoring(values.app, env);
    if (!loaded.ok) {
      io.err(`vigil: ${loaded.message}\n`);
      return loaded.code;
    }
    app = loaded.value;
    engineConfig ??= app.engineConfig;
  }

  const toStdout = values.out === undefined;
  const outStream = toStdout ? undefined : createWriteStream(values.out!);
  let writeError: Error | undefined;
  outStream?.on('error', (err) => (writeError ??= err));
  const sink: ResultSink =
    outStream === undefined
      ? (chunk) => io.out(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
      : streamSink(outStream);
  const out: ResultSink = (chunk) => {
    if (writeError !== undefined) throw writeError;
    return sink(chunk);
  };
  const report = toStdout ? io.err : io.out;
  const showProgress =
    !values['no-progress'] && process.stderr.isTTY === true && io.env['VIGIL_PROGRESS'] !== '0';
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let lastDraw = 0;
  let result: ScoreFileResult;
  try {
    result = await scoreFile({
      input,
      out,
      format,
      ...(workers !== undefined ? { workers } : {}),
      ...(shardBy !== undefined ? { shardBy } : {}),
      ...(engineConfig !== undefined ? { engineConfig } : {}),
      ...(values.app !== undefined ? { app: values.app } : {}),
      ...(app !== undefined && app.models.length > 0 ? { models: app.models } : {}),
      ...(app?.onnxEntry !== undefined ? { onnxEntry: app.onnxEntry } : {}),
      ...(defaultType !== undefined ? { defaultType } : {}),
      ...(values.errors !== undefined ? { maxErrors: Number.MAX_SAFE_INTEGER } : {}),
      ...(showProgress
        ? {
            onProgress: (p: ScoreProgress) => {
              const now = performance.now();
              if (now - lastDraw < 100) return;
              lastDraw = now;
              io.err(progressLine(p, started));
            },
          }
        : {}),
    });
  } catch (err) {
    if (showProgress) io.err('\n');
    outStream?.destroy();
    io.err(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (outStream !== undefined) {
    try {
      if (writeError !== undefined) throw writeError;
      outStream.end();
      await once(outStream, 'finish');
    } catch (err) {
      io.err(`vigil: cannot write ${values.out}: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
  }
  if (showProgress)
    io.err(`${progressLine({ rows: result.totals.rows, bytes: 1, totalBytes: 1 }, started)}\n`);
  if (values.errors !== undefined) {
    const lines = result.totals.errors.map((e) => `${e.line},${csvCell(e.message)}\n`);
    const ws = createWriteStream(values.errors);
    ws.write('line,message\n');
    for (const l of lines) if (!ws.write(l)) await once(ws, 'drain');
    ws.end();
    await once(ws, 'finish');
  }
  if (values.json) {
    const t = result.totals;
    // all threads of the process (getrusage), so the workers' CPU time counts
    const cpu = process.cpuUsage(cpuStart);
    const all = process.cpuUsage();
    report(
      `${JSON.stringify({
        input,
        out: values.out ?? null,
        format,
        workers: result.workers,
        shardBy: result.shardBy,
        planMs: Math.round(result.planMs),
        rows: t.rows,
        scored: t.scored,
        rejected: t.errorCount,
        ms: Math.round(result.ms),
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        // the whole process since it started: start-up and code loading included
        processCpuMs: Math.round((all.user + all.system) / 1000),
        rowsPerSec: Math.round(t.rows / Math.max(result.ms / 1000, 1e-9)),
        byOutcome: t.byOutcome,
        byLevel: t.byLevel,
        errors: t.errors.slice(0, 100),
        warnings: [...(app?.skipped ?? []), ...result.warnings],
        ...(app !== undefined
          ? {
              app: {
                id: values.app,
                configVersion: values.config !== undefined ? null : app.configVersion,
                database: app.database,
              },
              models: modelsJson(result),
            }
          : {}),
      })}\n`,
    );
  } else {
    if (app !== undefined) {
      const cfg =
        values.config !== undefined
          ? `configuration from ${values.config}`
          : app.configVersion > 0
            ? `stored configuration v${app.configVersion}`
            : 'default configuration (none stored)';
      const n = app.models.length;
      report(
        `app ${values.app} (${app.database}): ${cfg}, ${n === 0 ? 'no deployed or shadow model' : `${n} model version${n === 1 ? '' : 's'}`}\n`,
      );
      for (const s of app.skipped) report(`note: ${s}\n`);
    }
    report(summaryText(result, values.out));
  }
  return 0;
}
