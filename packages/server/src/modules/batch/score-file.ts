import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StringDecoder } from 'node:string_decoder';
import { Worker } from 'node:worker_threads';
import { parseEngineConfig, type EventType } from '@vigil/engine';
import { mapColumns, type ColumnMapping } from './batch-columns.js';
import { createCsvScanner, csvCell } from './csv-scanner.js';
import {
  emptyTotals,
  mergeTotals,
  resultColumns,
  type InputFormat,
  type ResultFormat,
  type ScoreTotals,
} from './row-scorer.js';
import type { ModelHookSource } from '../models/model-hooks.js';
import type { ModelScoreTotals, ShardMessage, ShardTask } from './score-shard.js';
import {
  planEntityShards,
  planEntityShardsParallel,
  type CsvPlanPart,
  type ShardStrategy,
} from './shard-plan.js';
import type { PlanPartWorkerData, ShardWorkerData } from './score-worker.js';

/** A problem with the input as a whole (unreadable file, bad header, bad configuration). */
export class BatchInputError extends Error {
  readonly problems: readonly string[];
  constructor(message: string, problems: readonly string[] = []) {
    super(problems.length === 0 ? message : `${message}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'BatchInputError';
    this.problems = problems;
  }
}

/**
 * Receives results: text, or UTF-8 bytes of whole rows (a chunk it may keep: it is never reused).
 * Returns a promise to apply back-pressure.
 */
export type ResultSink = (chunk: string | Uint8Array) => void | Promise<void>;

/**
 * A sink writing to a Node stream, waiting for 'drain' when its buffer is full.
 * @example const out = streamSink(createWriteStream('scored.csv'));
 */
export function streamSink(stream: NodeJS.WritableStream): ResultSink {
  return (chunk) => (stream.write(chunk) ? undefined : once(stream, 'drain').then(() => undefined));
}

/** Progress of a file scoring run. */
export interface ScoreProgress {
  /** Result rows written. */
  readonly rows: number;
  /** Bytes of input read by the slowest shard. */
  readonly bytes: number;
  readonly totalBytes: number;
}

/** Options of {@link scoreFile}. */
export interface ScoreFileOptions {
  readonly input: string;
  /** Default: by extension (.ndjson/.jsonl → ndjson, else csv). */
  readonly inputFormat?: InputFormat;
  /** Where results go, chunk by chunk (a returned promise holds the run until it resolves). */
  readonly out: ResultSink;
  readonly format: ResultFormat;
  /** Worker threads (shards). Default: the machine's available parallelism. */
  readonly workers?: number;
  /** The app configuration JSON (`parseEngineConfig` input). Default: the defaults. */
  readonly engineConfig?: unknown;
  /** `app` of events without one. Default 'batch'. */
  readonly app?: string;
  /** Event type of rows without one. */
  readonly defaultType?: EventType;
  /** Event time of rows without one. Default: the start of the run. */
  readonly defaultAt?: number;
  /** Rejected rows kept with their message (all are counted). Default 1000. */
  readonly maxErrors?: number;
  /** How rows are spread over workers (see `SHARD_STRATEGIES`). Default `entity`. */
  readonly shardBy?: ShardStrategy;
  /** Called after each batch of rows is written. */
  readonly onProgress?: (p: ScoreProgress) => void;
  /** Result batches (2,048 rows) a shard may have waiting for the merge. Default 32. */
  readonly maxInFlight?: number;
  /**
   * Stored model versions every shard scores with (built afresh in each worker): deployed ones
   * count in the decisions, shadow ones are only reported (see `ScoreFileResult.models`).
   */
  readonly models?: readonly ModelHookSource[];
  /** onnxruntime-node's resolved entry file, needed by onnx versions (see `resolveOnnxRuntime`). */
  readonly onnxEntry?: string;
}

/** What {@link scoreFile} did. */
export interface ScoreFileResult {
  readonly totals: ScoreTotals;
  /** Notes about the header (ignored columns). */
  readonly warnings: readonly string[];
  readonly workers: number;
  readonly shardBy: ShardStrategy;
  readonly inputFormat: InputFormat;
  readonly ms: number;
  /** Of `ms`, the first pass that plans entity shards (0 without one). */
  readonly planMs: number;
  /** Per model version scored (with `models`), deployed and shadow apart. */
  readonly models: readonly ModelScoreTotals[];
}

/**
 * Adds `b` into `a`, model by model (first seen first).
 * @example mergeModelTotals(all, shard.models);
 */
function mergeModelTotals(a: ModelScoreTotals[], b: readonly ModelScoreTotals[]): void {
  for (const m of b) {
    const t = a.find((x) => x.model === m.model && x.version === m.version && x.live === m.live);
    if (t === undefined) a.push({ ...m });
    else {
      t.scored += m.scored;
      t.sum += m.sum;
      t.high += m.high;
    }
  }
}

const BATCH_ROWS = 2048;
// Batches a shard may have waiting for the merge (2,048 rows each, ~150 KB of CSV results): enough
// that one shard can run ahead while the other is slowed by the machine, without a stall.
const MAX_IN_FLIGHT = 32;
const HEADER_PEEK_BYTES = 1 << 20;
const LABEL_KEY_RE = /"(?:label|is_fraud|malicious)"\s*:/;

/**
 * Input format of a file by its extension.
 * @example inputFormatOf('events.ndjson'); // 'ndjson'
 */
export function inputFormatOf(file: string): InputFormat {
  return /\.(?:ndjson|jsonl)$/i.test(file) ? 'ndjson' : 'csv';
}

/**
 * Result format of an output file by its extension (csv when unknown).
 * @example resultFormatOf('out.json'); // 'json'
 */
export function resultFormatOf(file: string): ResultFormat {
  if (/\.(?:ndjson|jsonl)$/i.test(file)) return 'ndjson';
  return /\.json$/i.test(file) ? 'json' : 'csv';
}

/** Reads the start of a file: the CSV header (mapped) or whether NDJSON lines carry labels. */
function peek(file: string, format: InputFormat): { mapping?: ColumnMapping; withLabel: boolean } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new BatchInputError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const buf = Buffer.allocUnsafe(HEADER_PEEK_BYTES);
    const got = readSync(fd, buf, 0, HEADER_PEEK_BYTES, 0);
    let text = new StringDecoder('utf8').write(buf.subarray(0, got));
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (format === 'ndjson') {
      const first = text.split('\n').find((l) => l.trim() !== '') ?? '';
      return { withLabel: LABEL_KEY_RE.test(first) };
    }
    const s = createCsvScanner();
    s.push(text, got < HEADER_PEEK_BYTES);
    if (!s.next()) throw new BatchInputError(`${file} has no header line`);
    const problem = s.problem();
    if (problem !== undefined) throw new BatchInputError(`${file}: bad header`, [problem]);
    const mapping = mapColumns(s.fields());
    if (mapping.errors.length > 0) throw new BatchInputError(`${file}: bad header`, mapping.errors);
    if (mapping.columns.every((c) => c.field === 'label')) {
      throw new BatchInputError(`${file}: no column maps to an event field`, [
        `columns: ${mapping.names.join(', ')}`,
        'expected id, type, at, user, amount, ip, device, ... and attrs.<key> columns',
      ]);
    }
    return { mapping, withLabel: mapping.labelIndex >= 0 };
  } finally {
    closeSync(fd);
  }
}

/** Where a bundled worker is cached, with the source files (and their mtimes) it was built from. */
const BUNDLE_DIR = path.join(tmpdir(), 'vigil-score-worker');

function bundleIsFresh(inputsFile: string): boolean {
  let inputs: unknown;
  try {
    inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
  } catch {
    return false;
  }
  if (typeof inputs !== 'object' || inputs === null) return false;
  for (const [file, mtime] of Object.entries(inputs)) {
    try {
      if (statSync(file).mtimeMs !== mtime) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * The worker's entry as one bundled file, built with esbuild (which tsx brings) and cached until
 * a source file changes: loading ~500 TypeScript modules through tsx's loader takes a worker
 * about a second, the bundle under 100 ms. Undefined when esbuild is not available.
 */
async function bundledWorker(entry: string): Promise<string | undefined> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    return undefined;
  }
  const key = createHash('sha1').update(entry).digest('hex').slice(0, 16);
  const out = path.join(BUNDLE_DIR, `${key}.mjs`);
  const inputsFile = path.join(BUNDLE_DIR, `${key}.inputs.json`);
  if (bundleIsFresh(inputsFile)) return out;
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: tmp,
    metafile: true,
    logLevel: 'silent',
    // CommonJS dependencies bundled into ESM may call require
    banner: {
      js: "import { createRequire as __vigilRequire } from 'node:module'; const require = __vigilRequire(import.meta.url);",
    },
  });
  const inputs: Record<string, number> = {};
  for (const rel of Object.keys(r.metafile.inputs)) {
    const file = path.resolve(rel);
    inputs[file] = statSync(file).mtimeMs;
  }
  renameSync(tmp, out);
  writeFileSync(`${inputsFile}.${process.pid}.tmp`, JSON.stringify(inputs));
  renameSync(`${inputsFile}.${process.pid}.tmp`, inputsFile);
  return out;
}

/** Starts a worker: a compiled entry, the cached bundle, or the TypeScript entry through tsx. */
async function workerFactory(): Promise<(data: ShardWorkerData | PlanPartWorkerData) => Worker> {
  const compiled = !import.meta.url.endsWith('.ts');
  const entry = new URL(compiled ? './score-worker.js' : './score-worker.ts', import.meta.url);
  if (compiled) return (data) => new Worker(entry, { workerData: data });
  const bundle = await bundledWorker(fileURLToPath(entry)).catch(() => undefined);
  if (bundle !== undefined) return (data) => new Worker(bundle, { workerData: data });
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return (data) => new Worker(code, { eval: true, workerData: data });
}

interface Pending {
  readonly ords: Int32Array;
  readonly lens: Int32Array;
  readonly data: Uint8Array;
  i: number;
  off: number;
}

/** Bytes of results gathered before they are handed to the sink. */
const OUT_BYTES = 1 << 20;
const JSON_OPEN = Buffer.from('[\n');
const JSON_NEXT = Buffer.from(',\n');

/**
 * Scores a CSV or NDJSON file offline with the engine and writes one result per input row, in
 * input order. Rows are sharded over worker threads; each shard has its own engine and feature
 * store and sees its rows in file order. By default (`shardBy: 'entity'`) a first pass groups
 * users that share a device or an IP into one shard, so user, device and IP features are exact;
 * keys beyond those (an e-mail domain, a counterparty, a referrer shared by users of different
 * shards) only count the events of the shard's own rows. `shardBy: 'user'` skips the first pass
 * and splits device and IP features too. `workers: 1` is exact. With entity shards of a CSV file
 * the first pass also records where each row starts, and each shard reads only its own rows;
 * otherwise every shard reads the whole file (so all agree on record boundaries) and scores only
 * its rows. The parent merges results back into input order.
 * @example
 * const r = await scoreFile({ input: 'events.csv', out: createWriteStream('scored.csv'), format: 'csv' });
 * r.totals.scored;
 */
export async function scoreFile(opts: ScoreFileOptions): Promise<ScoreFileResult> {
  const started = performance.now();
  const inputFormat = opts.inputFormat ?? inputFormatOf(opts.input);
  if (opts.engineConfig !== undefined) {
    const parsed = parseEngineConfig(opts.engineConfig);
    if (!parsed.ok) {
      throw new BatchInputError(
        'invalid engine configuration',
        parsed.problems.map((p) => `${p.path}: ${p.message}`),
      );
    }
  }
  const head = peek(opts.input, inputFormat);
  const totalBytes = statSync(opts.input).size;
  const shards = Math.max(1, Math.min(64, Math.floor(opts.workers ?? availableParallelism())));
  const maxErrors = opts.maxErrors ?? 1000;
  // one time for every shard: rows without `at` must agree whichever worker scores them
  const defaultAt = opts.defaultAt ?? Date.now();
  const { out, format } = opts;

  const write = async (s: string | Uint8Array): Promise<void> => {
    await out(s);
  };
  if (format === 'csv') await write(`${resultColumns(head.withLabel).map(csvCell).join(',')}\n`);

  const shardBy = opts.shardBy ?? 'entity';
  const startWorker = await workerFactory();
  const planStarted = performance.now();
  // a CSV first pass reads the second half of the file in a helper thread meanwhile
  const planPart = (from: number): Promise<CsvPlanPart> =>
    new Promise((resolve, reject) => {
      const w = startWorker({ planPart: { file: opts.input, mapping: head.mapping, from } });
      w.once('message', (part: CsvPlanPart) => {
        resolve(part);
        void w.terminate();
      });
      w.once('error', reject);
      w.once('exit', (code) => reject(new Error(`first-pass helper stopped (exit code ${code})`)));
    });
  const plan =
    shards > 1 && shardBy === 'entity'
      ? inputFormat === 'csv'
        ? await planEntityShardsParallel(opts.input, head.mapping, shards, planPart)
        : planEntityShards(opts.input, inputFormat, head.mapping, shards)
      : undefined;
  const planMs = plan === undefined ? 0 : performance.now() - planStarted;
  const workers: Worker[] = [];
  const queues: Pending[][] = [];
  const bytes: number[] = [];
  const done: boolean[] = [];
  const totals = emptyTotals();
  const modelTotals: ModelScoreTotals[] = [];
  let next = 0;
  let firstJson = true;

  let fail: (err: unknown) => void = () => {};
  let wakeMerge: () => void = () => {};
  // set by every message: one arriving while the merge awaits a write must not be missed
  let arrived = false;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});

  for (let shard = 0; shard < shards; shard++) {
    const task: ShardTask = {
      file: opts.input,
      inputFormat,
      format,
      shard,
      shards,
      engineConfig: opts.engineConfig,
      ...(opts.models !== undefined && opts.models.length > 0 ? { models: opts.models } : {}),
      ...(opts.onnxEntry !== undefined ? { onnxEntry: opts.onnxEntry } : {}),
      app: opts.app ?? 'batch',
      defaultAt,
      defaultType: opts.defaultType,
      maxErrors,
      withLabel: head.withLabel,
      batchRows: BATCH_ROWS,
      ...(plan !== undefined ? { owners: plan.owners } : {}),
      ...(plan?.starts !== undefined && plan.lines !== undefined
        ? { starts: plan.starts, lines: plan.lines }
        : {}),
    };
    const w = startWorker({ task, maxInFlight: opts.maxInFlight ?? MAX_IN_FLIGHT });
    workers.push(w);
    queues.push([]);
    bytes.push(0);
    done.push(false);
    w.on('message', (m: ShardMessage) => {
      if (m.kind === 'rows') {
        queues[shard]!.push({ ords: m.ords, lens: m.lens, data: m.data, i: 0, off: 0 });
        bytes[shard] = m.bytes;
      } else {
        mergeTotals(totals, m.totals, maxErrors);
        if (m.models !== undefined) mergeModelTotals(modelTotals, m.models);
        done[shard] = true;
        bytes[shard] = totalBytes;
      }
      arrived = true;
      wakeMerge();
    });
    w.on('error', (err) => fail(err));
    w.on('exit', (code) => {
      if (!done[shard])
        fail(new Error(`scoring worker ${shard} stopped (exit code ${code}) before finishing`));
    });
  }

  try {
    // Rows are copied in input order into one buffer, a run of consecutive rows of a shard's batch
    // at a time (they are adjacent in its bytes), and the buffer goes to the sink when full.
    let buf = Buffer.allocUnsafe(OUT_BYTES);
    let used = 0;
    const put = (src: Uint8Array, from: number, to: number): void => {
      const len = to - from;
      if (used + len > buf.length) {
        const grown = Buffer.allocUnsafe(Math.max(2 * buf.length, used + len));
        buf.copy(grown, 0, 0, used);
        buf = grown;
      }
      buf.set(src.subarray(from, to), used);
      used += len;
    };
    for (;;) {
      // take rows in ordinal order while the shard holding the next one has it
      let progressed = true;
      while (progressed) {
        progressed = false;
        for (let s = 0; s < shards; s++) {
          const q = queues[s]!;
          let b = q[0];
          while (b !== undefined && b.ords[b.i] === next) {
            if (format === 'json') {
              put(firstJson ? JSON_OPEN : JSON_NEXT, 0, 2);
              firstJson = false;
              const len = b.lens[b.i]!;
              put(b.data, b.off, b.off + len);
              b.off += len;
              b.i++;
              next++;
            } else {
              const from = b.off;
              do {
                b.off += b.lens[b.i]!;
                b.i++;
                next++;
              } while (b.i < b.ords.length && b.ords[b.i] === next);
              put(b.data, from, b.off);
            }
            progressed = true;
            if (b.i === b.ords.length) {
              q.shift();
              workers[s]!.postMessage('ack');
              b = q[0];
            }
          }
        }
      }
      if (used >= OUT_BYTES || (used > 0 && !arrived)) {
        const chunk = buf.subarray(0, used);
        buf = Buffer.allocUnsafe(OUT_BYTES);
        used = 0;
        await write(chunk);
        opts.onProgress?.({ rows: next, bytes: Math.min(...bytes), totalBytes });
      }
      if (done.every(Boolean) && queues.every((q) => q.length === 0)) break;
      if (arrived) {
        arrived = false;
        continue;
      }
      await Promise.race([new Promise<void>((resolve) => (wakeMerge = resolve)), failed]);
    }
    if (used > 0) await write(buf.subarray(0, used));
    if (next !== totals.rows) throw new Error(`merged ${next} rows but the shards scored ${totals.rows}`);
    if (format === 'json') await write(firstJson ? '[]\n' : '\n]\n');
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return {
    totals,
    warnings: head.mapping?.warnings ?? [],
    workers: shards,
    shardBy,
    inputFormat,
    planMs,
    ms: performance.now() - started,
    models: modelTotals,
  };
}
