/**
 * Batch benchmark: generates a CSV of simulator events (1,000,000 rows by default) in a temporary
 * directory and scores it with `vigil score` (worker threads sharded by entity, the default engine
 * configuration). Prints human-readable lines, then ONE JSON line last:
 * {"bench":"batch","rows_per_sec":N,"cpu_s":C,"cpu_us_per_row":U,"load_avg_1m":L}
 *
 *   npm run bench:batch                      # 1,000,000 rows
 *   npm run bench:batch -- --rows=200000     # smaller
 *   cd bench && npx tsx batch.bench.ts --rows 200000 --workers 1
 *
 * Options: --rows N (1,000,000), --workers N (default: the CPUs available), --shard-by entity|user
 * (vigil score's default, entity), --seed N (1), --keep (keep the CSV and the results).
 *
 * Method: rows_per_sec = input rows / wall time of the whole `vigil score` command, measured
 * from spawning `node packages/server/bin/vigil.js score ...` to its exit: process start-up,
 * loading the code, starting the workers, reading and parsing the CSV, validating every row,
 * scoring, and writing one result row per input row in input order to a CSV file. The command's
 * own figures are printed too: its scoring phase, its CPU time over all threads from the scoring
 * phase on, and the whole process's CPU time from its start (cpu_s, cpu_us_per_row: the machine is
 * shared, so CPU per row says what the code costs when others take the cores), with the load average
 * at the start (load_avg_1m).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSimulator, SIMULATED_CSV_COLUMNS, simulatedCsvRow } from '@vigil/engine';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OPTION_NAMES = ['rows', 'workers', 'seed', 'shard-by'] as const;
const parsedArgs = parseArgs({
  options: {
    ...Object.fromEntries(OPTION_NAMES.map((n) => [n, { type: 'string' }] as const)),
    keep: { type: 'boolean', default: false },
  },
  allowPositionals: false,
});
/** Through `npm run bench:batch -- --name=value` npm hands flags over as npm_config_<name>. */
function option(name: (typeof OPTION_NAMES)[number]): string | undefined {
  const values: Readonly<Record<string, unknown>> = parsedArgs.values;
  const direct = values[name];
  if (typeof direct === 'string') return direct;
  const env = process.env[`npm_config_${name.replace(/-/g, '_')}`];
  return env !== undefined && env !== '' && env !== 'true' ? env : undefined;
}
function int(name: (typeof OPTION_NAMES)[number], dflt: number): number {
  const v = option(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, got '${v}'`);
  return n;
}
const ROWS = int('rows', 1_000_000);
const SEED = int('seed', 1);
const WORKERS = option('workers');
const SHARD_BY = option('shard-by');
const KEEP = parsedArgs.values.keep === true || process.env['npm_config_keep'] === 'true';

const log = (s = ''): void => {
  process.stdout.write(`${s}\n`);
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file)) {
    const buf = chunk as Buffer;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  }
  return n;
}

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-batch-'));
const csv = path.join(dir, 'events.csv');
const out = path.join(dir, 'scored.csv');
try {
  log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
  const tGen = performance.now();
  {
    const ws = createWriteStream(csv);
    ws.write(`${SIMULATED_CSV_COLUMNS.join(',')}\n`);
    const sim = createSimulator({ seed: SEED, users: 10_000, attackRate: 0.02 });
    const lines: string[] = [];
    for (let i = 0; i < ROWS; i++) {
      lines.push(simulatedCsvRow(sim.next().value));
      if (lines.length === 10_000 || i === ROWS - 1) {
        if (!ws.write(`${lines.join('\n')}\n`)) await once(ws, 'drain');
        lines.length = 0;
      }
    }
    ws.end();
    await once(ws, 'finish');
  }
  const size = statSync(csv).size;
  log(
    `generated ${fmt(ROWS)} rows (${(size / 1048576).toFixed(1)} MB) in ${((performance.now() - tGen) / 1000).toFixed(1)} s: ${csv}`,
  );

  const args = [
    path.join(ROOT, 'packages/server/bin/vigil.js'),
    'score',
    csv,
    '--out',
    out,
    '--json',
    '--no-progress',
  ];
  if (WORKERS !== undefined) args.push('--workers', WORKERS);
  if (SHARD_BY !== undefined) args.push('--shard-by', SHARD_BY);
  const load = loadavg();
  log(`running: vigil score (load average ${load.map((x) => x.toFixed(2)).join(' ')})`);
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const wallMs = performance.now() - t0;
  if (code !== 0) throw new Error(`vigil score exited with ${code}:\n${stdout}`);
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    rows: number;
    scored: number;
    rejected: number;
    ms: number;
    cpuMs: number;
    processCpuMs?: number;
    planMs: number;
    shardBy: string;
    workers: number;
    byOutcome: Record<string, number>;
  };
  const lines = await countLines(out);
  if (summary.rows !== ROWS || lines !== ROWS + 1) {
    throw new Error(`expected ${ROWS} result rows, got ${summary.rows} (file has ${lines - 1})`);
  }
  const rowsPerSec = ROWS / (wallMs / 1000);
  log(
    `vigil score: ${fmt(summary.rows)} rows (${fmt(summary.scored)} scored, ${fmt(summary.rejected)} rejected) with ${summary.workers} workers`,
  );
  log(`  whole command: ${(wallMs / 1000).toFixed(2)} s wall = ${fmt(rowsPerSec)} rows/s`);
  log(`  scoring phase: ${(summary.ms / 1000).toFixed(2)} s = ${fmt(ROWS / (summary.ms / 1000))} rows/s`);
  if (summary.workers > 1) {
    log(
      `  sharded by ${summary.shardBy}${summary.planMs > 0 ? `; first pass ${(summary.planMs / 1000).toFixed(2)} s (included above)` : ''}`,
    );
  }
  log(
    `  CPU time (all threads): ${(summary.cpuMs / 1000).toFixed(2)} s = ${fmt(ROWS / (summary.cpuMs / 1000))} rows per CPU-second`,
  );
  const processCpuMs = summary.processCpuMs ?? summary.cpuMs;
  log(
    `  CPU time of the whole command (start-up included): ${(processCpuMs / 1000).toFixed(2)} s = ${((processCpuMs * 1000) / ROWS).toFixed(2)} us per row`,
  );
  log(
    `  outcomes: ${Object.entries(summary.byOutcome)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ')}`,
  );
  log(
    `  target >= 200,000 rows/s: ${rowsPerSec >= 200_000 ? 'met' : 'MISSED'}; load average at the end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  log(
    JSON.stringify({
      bench: 'batch',
      rows_per_sec: Math.round(rowsPerSec),
      cpu_s: Math.round(processCpuMs) / 1000,
      cpu_us_per_row: Math.round((processCpuMs * 100_000) / ROWS) / 100,
      load_avg_1m: Math.round((load[0] ?? 0) * 100) / 100,
    }),
  );
} finally {
  if (KEEP) log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
