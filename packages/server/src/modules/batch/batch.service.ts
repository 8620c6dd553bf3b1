import type { EventType } from '@vigil/engine';
import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { ulid } from '../../storage/ulid.js';
import { mapColumns, type ColumnMapping } from './batch-columns.js';
import { createBatchStore, type BatchProgress, type BatchRecord, type BatchStore } from './batch.store.js';
import { createCsvScanner } from './csv-scanner.js';
import { createRowScorer, type InputFormat, type RowEngine, type RowScorer } from './row-scorer.js';

/** Where the service logs (a pino logger fits). */
export interface BatchLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of {@link createBatchService}. */
export interface BatchServiceOptions {
  /** Most data rows in one upload. Default 1,000,000. */
  readonly maxRows?: number;
  /** Longest stretch of scoring before yielding to the event loop (live traffic). Default 8 ms. */
  readonly sliceMs?: number;
  /** Result rows per stored chunk (and progress update). Default 2000. */
  readonly chunkRows?: number;
  /** Characters per stored upload piece. Default 1 MiB. */
  readonly inputChunkChars?: number;
}

/** What an upload asks for. */
export interface BatchSubmit {
  readonly appId: string;
  readonly format: InputFormat;
  readonly body: Buffer | string;
  readonly defaultType?: EventType;
  /** Who uploaded (audit), e.g. `key:<id>`. */
  readonly createdBy: string;
}

/** Background batch scoring with persisted jobs. */
export interface BatchService {
  /** Validates the upload (header, row count), stores it and queues the job. */
  submit(req: BatchSubmit): Promise<BatchRecord>;
  /** A job; `appId` undefined means any app (admin keys). Unknown or other app's: not_found. */
  get(id: string, appId: string | undefined): Promise<BatchRecord>;
  list(appId: string | undefined, limit: number): Promise<readonly BatchRecord[]>;
  /** A fresh engine for an app (its configuration and detectors, an empty feature store). */
  engineFor(appId: string): RowEngine;
  /** The stored result rows (JSON text, one per line, per chunk) of a finished job. */
  results(id: string): AsyncIterable<string>;
  /** Resumes the jobs a previous process left queued or running (never rejects: failures are logged). */
  start(): Promise<void>;
  /** Resolves when no job is queued or running (tests). */
  idle(): Promise<void>;
  /** Stops after the current slice; an unfinished job stays `running` and resumes on the next start. */
  close(): Promise<void>;
}

const LABEL_KEY_RE = /"(?:label|is_fraud|malicious)"\s*:/;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function decode(body: Buffer | string): string {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Cuts text into pieces at line ends (never inside a surrogate pair). */
function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    let end = Math.min(text.length, pos + size);
    if (end < text.length) {
      const nl = text.lastIndexOf('\n', end - 1);
      if (nl >= pos) end = nl + 1;
      else {
        const c = text.charCodeAt(end - 1);
        if (c >= 0xd800 && c <= 0xdbff) end--;
      }
    }
    out.push(text.slice(pos, end));
    pos = end;
  }
  return out;
}

/** Header mapping and row count of a CSV upload; throws validation_failed on a bad header. */
function inspectCsv(text: string): { mapping: ColumnMapping; rows: number } {
  const s = createCsvScanner();
  s.push(text, true);
  if (!s.next()) {
    throw new DomainError('validation_failed', 'the CSV is empty', {
      details: [{ path: '/', message: 'expected a header line and rows' }],
    });
  }
  const problem = s.problem();
  const mapping = mapColumns(s.fields());
  const errors = problem !== undefined ? [problem, ...mapping.errors] : mapping.errors;
  if (errors.length > 0 || mapping.columns.every((c) => c.field === 'label')) {
    throw new DomainError('validation_failed', 'bad CSV header', {
      details: (errors.length > 0 ? errors : ['no column maps to an event field (id, type, user, ...)']).map(
        (message) => ({ path: '/line/1', message }),
      ),
    });
  }
  let rows = 0;
  while (s.next()) rows++;
  return { mapping, rows };
}

function ndjsonRows(text: string): { rows: number; withLabel: boolean } {
  let rows = 0;
  let withLabel = false;
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = text.length;
    const line = text.slice(pos, nl);
    if (line.trim() !== '') {
      if (rows === 0) withLabel = LABEL_KEY_RE.test(line);
      rows++;
    }
    pos = nl + 1;
  }
  return { rows, withLabel };
}

/**
 * Creates the batch service. Jobs run one at a time on the server's event loop in short slices, so
 * live traffic keeps flowing; each job scores with a fresh engine from `makeEngine` (the app's
 * detectors and rules, but its own empty feature store), so a batch never changes the live
 * features and two runs of the same file give the same results. Results and progress are stored
 * every `chunkRows` rows; a job interrupted by a restart is re-run from its first row (to rebuild its
 * features) and keeps the result chunks already stored.
 * @example
 * const batches = createBatchService({ db, clock, makeEngine: () => createEngine({ config: engine.config, detectors: engine.detectors }) });
 * batches.start();
 */
export function createBatchService(
  deps: {
    readonly db: Db;
    readonly clock: Clock;
    readonly makeEngine: (appId: string) => RowEngine;
    readonly logger?: BatchLogger;
    /** Default: the Kysely store over `db`. */
    readonly store?: BatchStore;
  },
  opts: BatchServiceOptions = {},
): BatchService {
  const store = deps.store ?? createBatchStore(deps.db);
  const maxRows = opts.maxRows ?? 1_000_000;
  const sliceMs = opts.sliceMs ?? 8;
  const chunkRows = opts.chunkRows ?? 2000;
  const inputChunkChars = opts.inputChunkChars ?? 1 << 20;
  const queue: string[] = [];
  let running: Promise<void> | undefined;
  let stopping = false;

  function kick(): void {
    if (running !== undefined || stopping || queue.length === 0) return;
    running = (async () => {
      while (queue.length > 0 && !stopping) {
        const id = queue.shift()!;
        try {
          await runJob(id);
        } catch (err) {
          deps.logger?.error({ err, batch: id }, 'batch job failed');
          if (!stopping) {
            await store
              .fail(id, deps.clock.now(), err instanceof Error ? err.message : String(err))
              .catch((e: unknown) =>
                deps.logger?.error({ err: e, batch: id }, 'recording a batch failure failed'),
              );
          }
        }
      }
    })().finally(() => {
      running = undefined;
      kick();
    });
  }

  async function runJob(id: string): Promise<void> {
    const job = await store.get(id);
    if (job === undefined || job.status === 'done' || job.status === 'failed') return;
    await store.markRunning(id, deps.clock.now());
    const stored = await store.resultChunks(id);
    const scorer: RowScorer = createRowScorer({
      engine: deps.makeEngine(job.appId),
      format: 'ndjson',
      app: job.appId,
      defaultAt: job.options.defaultAt,
      withLabel: job.withLabel,
      maxErrors: 100,
      ...(job.options.defaultType !== undefined ? { defaultType: job.options.defaultType } : {}),
    });
    let lines: string[] = [];
    let chunkIdx = 0;
    const progress = (): BatchProgress => ({
      processed: scorer.totals.rows,
      scored: scorer.totals.scored,
      rejected: scorer.totals.errorCount,
      errorSample: scorer.totals.errors,
    });
    const flush = async (): Promise<void> => {
      if (lines.length === 0) return;
      // a resumed job re-scores stored chunks (to rebuild features) without rewriting them
      if (chunkIdx >= stored)
        await store.saveResults(id, chunkIdx, lines.length, lines.join('\n'), progress());
      chunkIdx++;
      lines = [];
    };
    let sliceStart = performance.now();
    const emit = async (row: string): Promise<boolean> => {
      lines.push(row);
      if (lines.length >= chunkRows) await flush();
      if (performance.now() - sliceStart >= sliceMs) {
        await yieldToLoop();
        sliceStart = performance.now();
        if (stopping) return false;
      }
      return true;
    };

    if (job.inputFormat === 'csv') {
      const s = createCsvScanner();
      let mapping: ColumnMapping | undefined;
      const drain = async (): Promise<boolean> => {
        while (s.next()) {
          if (mapping === undefined) {
            mapping = mapColumns(s.fields());
            continue;
          }
          if (!(await emit(scorer.csv(s.problem() ?? s.fields(), s.line, mapping)))) return false;
        }
        return true;
      };
      for await (const piece of store.readInput(id)) {
        s.push(piece, false);
        if (!(await drain())) return;
      }
      s.push('', true);
      if (!(await drain())) return;
    } else {
      let carry = '';
      let line = 0;
      const drain = async (text: string, final: boolean): Promise<boolean> => {
        let pos = 0;
        for (;;) {
          const nl = text.indexOf('\n', pos);
          if (nl === -1 && !final) break;
          const end = nl === -1 ? text.length : nl;
          line++;
          const raw = text.slice(pos, end);
          pos = nl === -1 ? text.length : nl + 1;
          if (raw.trim() !== '' && !(await emit(scorer.ndjson(raw, line)))) return false;
          if (nl === -1) break;
        }
        carry = text.slice(pos);
        return true;
      };
      for await (const piece of store.readInput(id)) {
        if (!(await drain(carry + piece, false))) return;
      }
      if (!(await drain(carry, true))) return;
    }
    await flush();
    const t = scorer.totals;
    await store.finish(id, deps.clock.now(), progress(), { byLevel: t.byLevel, byOutcome: t.byOutcome });
    deps.logger?.info(
      { batch: id, rows: t.rows, scored: t.scored, rejected: t.errorCount },
      'batch job done',
    );
  }

  return {
    async submit(req) {
      if (stopping) throw new DomainError('unavailable', 'the server is shutting down');
      const text = decode(req.body);
      let rows: number;
      let withLabel: boolean;
      let warnings: readonly string[] = [];
      if (req.format === 'csv') {
        const r = inspectCsv(text);
        rows = r.rows;
        withLabel = r.mapping.labelIndex >= 0;
        warnings = r.mapping.warnings;
      } else {
        ({ rows, withLabel } = ndjsonRows(text));
      }
      if (rows === 0) {
        throw new DomainError('validation_failed', 'the upload has no rows', {
          details: [{ path: '/', message: 'expected at least one event row' }],
        });
      }
      if (rows > maxRows) {
        throw new DomainError('batch_too_large', `the upload has ${rows} rows; at most ${maxRows} per batch`);
      }
      const now = deps.clock.now();
      const id = ulid(now);
      await store.create({
        id,
        appId: req.appId,
        inputFormat: req.format,
        total: rows,
        withLabel,
        inputBytes: typeof req.body === 'string' ? Buffer.byteLength(req.body) : req.body.byteLength,
        options: {
          defaultAt: now,
          warnings,
          ...(req.defaultType !== undefined ? { defaultType: req.defaultType } : {}),
        },
        createdAt: now,
        createdBy: req.createdBy,
        input: pieces(text, inputChunkChars),
      });
      queue.push(id);
      kick();
      const created = await store.get(id);
      if (created === undefined) throw new Error(`batch ${id} vanished after it was stored`);
      return created;
    },
    async get(id, appId) {
      const b = await store.get(id);
      if (b === undefined || (appId !== undefined && b.appId !== appId)) {
        throw new DomainError('not_found', `no batch '${id}'`);
      }
      return b;
    },
    list: (appId, limit) => store.list(appId, limit),
    engineFor: (appId) => deps.makeEngine(appId),
    results: (id) => store.readResults(id),
    async start() {
      stopping = false;
      await store
        .unfinished()
        .then((jobs) => {
          for (const j of jobs) if (!queue.includes(j.id)) queue.push(j.id);
          if (jobs.length > 0) deps.logger?.info({ jobs: jobs.length }, 'resuming batch jobs');
          kick();
        })
        .catch((err: unknown) => deps.logger?.error({ err }, 'reading unfinished batch jobs failed'));
    },
    async idle() {
      while (running !== undefined) await running;
    },
    async close() {
      stopping = true;
      await running;
    },
  };
}
