import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import {
  createEngine,
  parseEngineConfig,
  type Decision,
  type EventType,
  type ModelHook,
  type VigilEvent,
} from '@vigil/engine';
import { loadModelHook, type ModelHookSource } from '../models/model-hooks.js';
import { onnxRuntimeAt } from '../models/onnx/onnx-runtime.js';
import { mapColumns } from './batch-columns.js';
import { createCsvScanner } from './csv-scanner.js';
import {
  createRowScorer,
  ResultBytes,
  type InputFormat,
  type ResultFormat,
  type ScoreTotals,
} from './row-scorer.js';

/** What one shard of a file scoring run needs (sent to its worker thread). */
export interface ShardTask {
  readonly file: string;
  readonly inputFormat: InputFormat;
  readonly format: ResultFormat;
  readonly shard: number;
  readonly shards: number;
  /** The app configuration as JSON (validated by the caller); undefined = defaults. */
  readonly engineConfig: unknown;
  readonly app: string;
  readonly defaultAt: number;
  readonly defaultType: EventType | undefined;
  readonly maxErrors: number;
  /** Whether results carry the input's label column. */
  readonly withLabel: boolean;
  /** Rows per message. */
  readonly batchRows: number;
  /** The shard of every data row by ordinal (entity sharding); absent: by a hash of the user. */
  readonly owners?: Uint8Array;
  /**
   * CSV with `owners`: byte offset of every data row, then the end of the last one (see
   * `EntityPlan.starts`); the shard then reads its own rows only.
   */
  readonly starts?: Float64Array;
  /** CSV with `starts`: the line every data row starts on. */
  readonly lines?: Int32Array;
  /** Stored model versions scored too (deployed ones count, shadow ones are only reported). */
  readonly models?: readonly ModelHookSource[];
  /** onnxruntime-node's resolved entry file, for onnx versions (a bundled worker cannot resolve it). */
  readonly onnxEntry?: string;
}

/** The scores one model version gave in a run (or one shard of it). */
export interface ModelScoreTotals {
  readonly model: string;
  readonly version: string;
  /** Deployed (its score counts in the decision) or shadow (reported only). */
  readonly live: boolean;
  scored: number;
  sum: number;
  /** Scores of 0.5 or above. */
  high: number;
}

/**
 * Builds the hooks of stored versions, as the live registry does (a gru hook starts with no state).
 * @example const hooks = await modelHooksOf(task.models ?? [], task.onnxEntry);
 */
export async function modelHooksOf(
  models: readonly ModelHookSource[],
  onnxEntry: string | undefined,
): Promise<ModelHook[]> {
  const onnx = onnxEntry === undefined ? {} : { onnx: onnxRuntimeAt(onnxEntry) };
  const hooks: ModelHook[] = [];
  for (const m of models) hooks.push((await loadModelHook(m, m.status === 'deployed', onnx)).hook);
  return hooks;
}

/** A run of result rows of one shard, in input order. */
export interface ShardRows {
  readonly kind: 'rows';
  /** Ordinal (0-based position among the file's data rows) of each row. */
  readonly ords: Int32Array;
  /** Length in bytes of each row in `data`. */
  readonly lens: Int32Array;
  /**
   * The formatted rows as UTF-8, concatenated: each followed by a line feed for csv and ndjson,
   * without a separator for json (the parent writes those). Its own buffer, so it can be transferred.
   */
  readonly data: Uint8Array;
  /** Bytes of the file read so far. */
  readonly bytes: number;
}

/** The end of a shard: its totals. */
export interface ShardDone {
  readonly kind: 'done';
  readonly totals: ScoreTotals;
  /** Per model version, when the task had models. */
  readonly models?: readonly ModelScoreTotals[];
}

export type ShardMessage = ShardRows | ShardDone;

const READ_BYTES = 1 << 20;

const changedError = (): Error => new Error('the input file changed while it was being scored');

/**
 * Reads byte ranges of a file, in increasing order, through one buffer (grown for a range larger
 * than it): `text(from, to)` is the bytes [from, to) decoded as UTF-8.
 */
function createFileWindow(fd: number): (from: number, to: number) => string {
  let buf = Buffer.allocUnsafe(READ_BYTES);
  /** File offsets of buf[0] and of the end of the bytes it holds. */
  let lo = 0;
  let hi = 0;
  function refill(from: number, to: number): void {
    const keep = from >= lo && from < hi ? hi - from : 0;
    if (to - from > buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(to - from, buf.length * 2));
      if (keep > 0) buf.copy(grown, 0, from - lo, hi - lo);
      buf = grown;
    } else if (keep > 0) buf.copy(buf, 0, from - lo, hi - lo);
    lo = from;
    hi = from + keep;
    while (hi < to) {
      const got = readSync(fd, buf, hi - lo, buf.length - (hi - lo), hi);
      if (got === 0) throw changedError();
      hi += got;
    }
  }
  return (from, to) => {
    if (from < lo || to > hi) refill(from, to);
    return buf.toString('utf8', from - lo, to - lo);
  };
}

/**
 * Which shard owns a key: FNV-1a over its UTF-16 code units, modulo `shards`.
 * @example shardOf('u42', 2); // 0 or 1, always the same for 'u42'
 */
export function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/**
 * Scores the rows of one shard of a file in file order with a fresh engine. With a CSV plan that
 * says where each row starts (`starts`, `lines`), it reads and decodes only the rows `owners` gives
 * it. Otherwise it reads the whole file (every shard does, so all agree on record boundaries and
 * ordinals) and keeps the rows `owners` gives it (or, without a plan, whose user hashes to `shard`;
 * rows without a user go round-robin by ordinal). Results are handed to `emit` in batches; `emit`
 * may return a promise to apply back-pressure. With `task.models` their hooks score too, and each
 * version's scores are counted into `modelTotals`.
 * @example await scoreShard(task, (m) => parentPort.postMessage(m));
 */
export async function scoreShard(
  task: ShardTask,
  emit: (m: ShardMessage) => void | Promise<void>,
  modelTotals: ModelScoreTotals[] = [],
): Promise<ScoreTotals> {
  const parsed = task.engineConfig === undefined ? undefined : parseEngineConfig(task.engineConfig);
  if (parsed !== undefined && !parsed.ok) throw new Error('invalid engine configuration');
  const hooks = await modelHooksOf(task.models ?? [], task.onnxEntry);
  const base = createEngine({
    ...(parsed === undefined ? {} : { config: parsed.value }),
    ...(hooks.length > 0 ? { models: hooks } : {}),
  });
  const count = (d: Decision): Decision => {
    for (const m of d.models) {
      const version = m.version ?? '';
      let t = modelTotals.find((x) => x.model === m.model && x.version === version && x.live === m.live);
      if (t === undefined) {
        t = { model: m.model, version, live: m.live, scored: 0, sum: 0, high: 0 };
        modelTotals.push(t);
      }
      t.scored++;
      t.sum += m.score;
      if (m.score >= 0.5) t.high++;
    }
    return d;
  };
  const engine =
    hooks.length > 0 ? { score: (e: VigilEvent, now: number) => count(base.score(e, now)) } : base;
  // Rows are written as UTF-8 into one buffer per batch as they are made (no string per CSV row);
  // the buffer is handed over whole, so each batch gets a new one.
  const newline = task.format !== 'json';
  const out = new ResultBytes(64 * task.batchRows);
  const scorer = createRowScorer({
    engine,
    ...(task.format === 'csv' ? { bytes: out } : {}),
    format: task.format,
    app: task.app,
    defaultAt: task.defaultAt,
    maxErrors: task.maxErrors,
    withLabel: task.withLabel,
    ...(task.defaultType !== undefined ? { defaultType: task.defaultType } : {}),
  });
  const { shard, shards, batchRows, owners } = task;
  const ownerOf = (o: number): number => {
    const s = owners![o];
    if (s === undefined) throw changedError();
    return s;
  };
  let ords = new Int32Array(batchRows);
  let lens = new Int32Array(batchRows);
  let n = 0;
  let bytes = 0;

  async function flush(): Promise<void> {
    if (n === 0) return;
    const m: ShardRows = {
      kind: 'rows',
      ords: ords.subarray(0, n),
      lens: lens.subarray(0, n),
      data: out.take(),
      bytes,
    };
    ords = new Int32Array(batchRows);
    lens = new Int32Array(batchRows);
    n = 0;
    await emit(m);
  }
  /**
   * Records the row written into `out` from `start` on (CSV rows are written there by the scorer;
   * others come as `row` text), with its line feed.
   */
  async function add(ord: number, start: number, row: string): Promise<void> {
    if (row !== '') {
      out.ensure(3 * row.length + 1);
      out.text(row);
    } else out.ensure(1);
    if (newline) out.byte(10);
    ords[n] = ord;
    lens[n] = out.pos - start;
    n++;
    if (n === batchRows) await flush();
  }

  const fd = openSync(task.file, 'r');
  try {
    const { starts, lines } = task;
    if (task.inputFormat === 'csv' && owners !== undefined && starts !== undefined && lines !== undefined) {
      // The plan says where every row starts: read and decode this shard's rows only, a run of
      // consecutive rows at a time.
      const rows = owners.length;
      if (starts.length !== rows + 1 || lines.length !== rows) throw new Error('inconsistent shard plan');
      const text = createFileWindow(fd);
      const scanner = createCsvScanner();
      const cells: string[] = [];
      // the header: everything before the first row (the end of the file when there is none)
      const header = starts[0]!;
      let mapping = mapColumns([]);
      if (header > 0) {
        let head = text(0, header);
        if (head.charCodeAt(0) === 0xfeff) head = head.slice(1);
        scanner.push(head, true);
        if (scanner.next()) mapping = mapColumns(scanner.fields());
        if (scanner.next()) throw changedError();
      }
      let o = 0;
      while (o < rows) {
        if (owners[o] !== shard) {
          o++;
          continue;
        }
        const from = starts[o]!;
        let b = o + 1;
        while (b < rows && owners[b] === shard && starts[b + 1]! - from <= READ_BYTES) b++;
        const to = starts[b]!;
        scanner.push(text(from, to), true);
        for (let r = o; r < b; r++) {
          if (!scanner.next()) throw changedError();
          const problem = scanner.problem();
          // the scorer reads the cells right away: one array serves every row
          const start = out.pos;
          await add(r, start, scorer.csv(problem ?? scanner.fields(cells), lines[r]!, mapping));
        }
        if (scanner.next()) throw changedError();
        bytes = to;
        o = b;
      }
      await flush();
      return scorer.totals;
    }
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    const decoder = new StringDecoder('utf8');
    let ord = 0;
    let first = true;
    if (task.inputFormat === 'csv') {
      const scanner = createCsvScanner();
      let mapping = mapColumns([]);
      for (;;) {
        const got = readSync(fd, buffer, 0, READ_BYTES, null);
        bytes += got;
        let text = got > 0 ? decoder.write(buffer.subarray(0, got)) : decoder.end();
        if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        scanner.push(text, got === 0);
        for (;;) {
          // rows another shard owns (by the plan): find where they end without reading their fields
          if (!first && owners !== undefined && shards > 1 && ord < owners.length && owners[ord] !== shard) {
            if (!scanner.skip()) break;
            ord++;
            continue;
          }
          if (!scanner.next()) break;
          if (first) {
            first = false;
            mapping = mapColumns(scanner.fields());
            continue;
          }
          const o = ord++;
          if (shards > 1) {
            let owner: number;
            if (owners !== undefined) owner = ownerOf(o);
            else {
              const key = mapping.userIndex >= 0 ? scanner.field(mapping.userIndex) : undefined;
              owner = key === undefined || key === '' ? o % shards : shardOf(key, shards);
            }
            if (owner !== shard) continue;
          }
          const problem = scanner.problem();
          const start = out.pos;
          await add(o, start, scorer.csv(problem ?? scanner.fields(), scanner.line, mapping));
        }
        if (got === 0) break;
      }
      await flush();
      return scorer.totals;
    }

    let carry = '';
    let line = 0;
    for (;;) {
      const got = readSync(fd, buffer, 0, READ_BYTES, null);
      bytes += got;
      let text = carry + (got > 0 ? decoder.write(buffer.subarray(0, got)) : decoder.end());
      if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
      let pos = 0;
      for (;;) {
        const nl = text.indexOf('\n', pos);
        if (nl === -1 && got > 0) break;
        const endAt = nl === -1 ? text.length : nl;
        line++;
        const raw = text.slice(pos, endAt > pos && text.charCodeAt(endAt - 1) === 13 ? endAt - 1 : endAt);
        pos = nl === -1 ? text.length : nl + 1;
        if (raw.trim() !== '') {
          const o = ord++;
          if (owners !== undefined && shards > 1 && ownerOf(o) !== shard) {
            if (nl === -1) break;
            continue;
          }
          let value: unknown;
          let bad: string | undefined;
          try {
            value = JSON.parse(raw);
          } catch (err) {
            bad = `not valid JSON: ${err instanceof Error ? err.message : 'unparseable'}`;
          }
          if (shards > 1 && owners === undefined) {
            const user =
              typeof value === 'object' && value !== null && 'user' in value && typeof value.user === 'string'
                ? value.user
                : '';
            const owner = user === '' ? o % shards : shardOf(user, shards);
            if (owner !== shard) {
              if (nl === -1) break;
              continue;
            }
          }
          const start = out.pos;
          await add(o, start, bad !== undefined ? scorer.reject(line, bad) : scorer.json(value, line));
        }
        if (nl === -1) break;
      }
      carry = text.slice(pos);
      if (got === 0) break;
    }
    await flush();
    return scorer.totals;
  } finally {
    closeSync(fd);
  }
}
