import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createEngine, parseEngineConfig, type EventType } from '@vigil/engine';
import { mapColumns } from './batch-columns.js';
import { createCsvScanner } from './csv-scanner.js';
import { createRowScorer, type InputFormat, type ResultFormat, type ScoreTotals } from './row-scorer.js';

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
}

/** A run of result rows of one shard, in input order. */
export interface ShardRows {
  readonly kind: 'rows';
  /** Ordinal (0-based position among the file's data rows) of each row. */
  readonly ords: Int32Array;
  /** Length of each row's text in `text`. */
  readonly lens: Int32Array;
  /** The formatted rows, concatenated, without separators. */
  readonly text: string;
  /** Bytes of the file read so far. */
  readonly bytes: number;
}

/** The end of a shard: its totals. */
export interface ShardDone {
  readonly kind: 'done';
  readonly totals: ScoreTotals;
}

export type ShardMessage = ShardRows | ShardDone;

const READ_BYTES = 1 << 20;

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
 * Scores the rows of one shard of a file: reads the whole file (every shard does, so all agree on
 * record boundaries and ordinals), keeps the rows `owners` gives it (or, without a plan, whose user
 * hashes to `shard`; rows without a user go round-robin by ordinal), and scores them in file order
 * with a fresh engine. Results are handed
 * to `emit` in batches; `emit` may return a promise to apply back-pressure.
 * @example await scoreShard(task, (m) => parentPort.postMessage(m));
 */
export async function scoreShard(
  task: ShardTask,
  emit: (m: ShardMessage) => void | Promise<void>,
): Promise<ScoreTotals> {
  const parsed = task.engineConfig === undefined ? undefined : parseEngineConfig(task.engineConfig);
  if (parsed !== undefined && !parsed.ok) throw new Error('invalid engine configuration');
  const engine = createEngine(parsed === undefined ? {} : { config: parsed.value });
  const scorer = createRowScorer({
    engine,
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
    if (s === undefined) throw new Error('the input file changed while it was being scored');
    return s;
  };
  let ords = new Int32Array(batchRows);
  let lens = new Int32Array(batchRows);
  let parts: string[] = [];
  let n = 0;
  let bytes = 0;

  async function flush(): Promise<void> {
    if (n === 0) return;
    const m: ShardRows = {
      kind: 'rows',
      ords: ords.subarray(0, n),
      lens: lens.subarray(0, n),
      text: parts.join(''),
      bytes,
    };
    ords = new Int32Array(batchRows);
    lens = new Int32Array(batchRows);
    parts = [];
    n = 0;
    await emit(m);
  }
  async function add(ord: number, row: string): Promise<void> {
    ords[n] = ord;
    lens[n] = row.length;
    parts.push(row);
    n++;
    if (n === batchRows) await flush();
  }

  const fd = openSync(task.file, 'r');
  try {
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
          await add(o, scorer.csv(problem ?? scanner.fields(), scanner.line, mapping));
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
          await add(o, bad !== undefined ? scorer.reject(line, bad) : scorer.json(value, line));
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
