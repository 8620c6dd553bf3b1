import {
  OUTCOMES,
  RISK_LEVELS,
  validateEvent,
  type Decision,
  type EventType,
  type Outcome,
  type RiskLevel,
  type VigilEvent,
} from '@vigil/engine';
import { parseLabel, rowToEvent, type ColumnMapping } from './batch-columns.js';
import { csvCell } from './csv-scanner.js';

/** Output formats of batch results: CSV, a JSON array, or one JSON object per line. */
export const RESULT_FORMATS = ['csv', 'json', 'ndjson'] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

/** Input formats batch scoring reads. */
export const INPUT_FORMATS = ['csv', 'ndjson'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** How many signal codes a result row lists. */
export const TOP_SIGNALS = 3;

/**
 * One scored (or rejected) input row. `line` is the 1-based line the row starts on; a rejected
 * row has `error` and no decision fields.
 */
export interface ResultRow {
  readonly line: number;
  readonly id: string | null;
  readonly user: string | null;
  readonly type: string | null;
  readonly risk: number | null;
  readonly score: number | null;
  readonly level: RiskLevel | null;
  readonly outcome: Outcome | null;
  readonly flag: string | null;
  /** The strongest signal codes, strongest first. */
  readonly signals: readonly string[];
  /** Ground truth from a label column (1 malicious, 0 normal). */
  readonly label?: number | null;
  readonly error: string | null;
}

/** Columns of CSV results (`label` only when the input had one). */
export function resultColumns(withLabel: boolean): readonly string[] {
  return withLabel
    ? ['line', 'id', 'user', 'type', 'risk', 'score', 'level', 'outcome', 'flag', 'signals', 'label', 'error']
    : ['line', 'id', 'user', 'type', 'risk', 'score', 'level', 'outcome', 'flag', 'signals', 'error'];
}

/**
 * One result row as a CSV line (no newline), in the order of {@link resultColumns}.
 * @example resultRowCsv(row, false); // '2,e1,u1,login,0.12,12,SAFE,allow,GREEN,,'
 */
export function resultRowCsv(r: ResultRow, withLabel: boolean): string {
  const cells = [
    String(r.line),
    r.id === null ? '' : csvCell(r.id),
    r.user === null ? '' : csvCell(r.user),
    r.type === null ? '' : csvCell(r.type),
    r.risk === null ? '' : String(r.risk),
    r.score === null ? '' : String(r.score),
    r.level ?? '',
    r.outcome ?? '',
    r.flag ?? '',
    csvCell(r.signals.join('|')),
  ];
  if (withLabel) cells.push(r.label === undefined || r.label === null ? '' : String(r.label));
  cells.push(r.error === null ? '' : csvCell(r.error));
  return cells.join(',');
}

/** A rejected row, by line. */
export interface RowError {
  readonly line: number;
  readonly message: string;
}

/** Running totals of a scoring run (or one shard of it). */
export interface ScoreTotals {
  rows: number;
  scored: number;
  errorCount: number;
  /** The first `maxErrors` rejected rows, in the order seen. */
  errors: RowError[];
  byLevel: Record<RiskLevel, number>;
  byOutcome: Record<Outcome, number>;
}

/**
 * Empty totals.
 * @example const t = emptyTotals(); t.rows; // 0
 */
export function emptyTotals(): ScoreTotals {
  return {
    rows: 0,
    scored: 0,
    errorCount: 0,
    errors: [],
    byLevel: { SAFE: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 },
    byOutcome: { allow: 0, challenge: 0, review: 0, block: 0 },
  };
}

/**
 * Adds `b` into `a` (error samples sorted by line, capped at `maxErrors`).
 * @example mergeTotals(total, shardTotals, 100);
 */
export function mergeTotals(a: ScoreTotals, b: ScoreTotals, maxErrors: number): void {
  a.rows += b.rows;
  a.scored += b.scored;
  a.errorCount += b.errorCount;
  a.errors = [...a.errors, ...b.errors].sort((x, y) => x.line - y.line).slice(0, maxErrors);
  for (const l of RISK_LEVELS) a.byLevel[l] += b.byLevel[l];
  for (const o of OUTCOMES) a.byOutcome[o] += b.byOutcome[o];
}

/** What a row scorer needs: an engine that scores with its own feature store. */
export interface RowEngine {
  score(event: VigilEvent, now: number): Decision;
}

/** Options of {@link createRowScorer}. */
export interface RowScorerOptions {
  readonly engine: RowEngine;
  readonly format: ResultFormat;
  /** `app` of events without one. */
  readonly app: string;
  /** Event time of rows without `at` (the run's start, so reruns agree). */
  readonly defaultAt: number;
  /** Event type of rows without one (otherwise they are rejected). */
  readonly defaultType?: EventType;
  /** Whether results carry a `label` column. */
  readonly withLabel: boolean;
  /** Rejected rows kept with their message (all are counted). Default 1000. */
  readonly maxErrors?: number;
  /**
   * CSV only: write each result row here as UTF-8 (no newline) instead of returning it; the
   * scorer's methods then return ''.
   */
  readonly bytes?: ResultBytes;
}

const COMMA = 44;

/**
 * A growing buffer result rows are written into as UTF-8, without a string per row; `take` hands
 * the bytes over (its own buffer, so it can be transferred to another thread) and starts anew.
 * @example const out = new ResultBytes(1 << 16); out.ensure(8); out.int(42); out.take(); // '42'
 */
export class ResultBytes {
  private buf: Buffer;
  /** Bytes written. */
  pos = 0;

  constructor(private readonly size: number) {
    this.buf = Buffer.allocUnsafeSlow(size);
  }

  /** Makes room for `n` more bytes (writers below assume the caller did). */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** Text as UTF-8 (room: 3 bytes per UTF-16 unit): ASCII copied in a loop, the rest encoded. */
  text(s: string): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.pos = p + b.write(i === 0 ? s : s.slice(i), p);
        return;
      }
      b[p++] = c;
    }
    this.pos = p;
  }

  /** A CSV cell as `csvCell` writes it (room: 6 bytes per UTF-16 unit + 2). */
  cell(s: string): void {
    if (needsQuotes(s)) this.text(csvCell(s));
    else this.text(s);
  }

  /** A non-negative integer's decimal digits (anything else as its text). */
  int(n: number): void {
    if (!(Number.isSafeInteger(n) && n >= 0)) {
      this.text(String(n));
      return;
    }
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    const end = this.pos + digits;
    let p = end;
    let x = n;
    do {
      this.buf[--p] = 48 + (x % 10);
      x = Math.floor(x / 10);
    } while (x > 0);
    this.pos = end;
  }

  /** The bytes written so far (a view of a buffer no longer written to); starts a new buffer. */
  take(): Uint8Array {
    const out = new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos);
    this.buf = Buffer.allocUnsafeSlow(Math.max(this.size, this.pos + (this.pos >>> 3)));
    this.pos = 0;
    return out;
  }
}

function needsQuotes(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === COMMA || c === 34 || c === 10 || c === 13) return true;
  }
  return false;
}

/** Scores rows one at a time and formats each result; keeps totals. */
export interface RowScorer {
  readonly totals: ScoreTotals;
  /** A CSV row (its fields, or a structural problem) → one formatted result (no newline). */
  csv(fields: readonly string[] | string, line: number, mapping: ColumnMapping): string;
  /** One NDJSON line → one formatted result (no newline). */
  ndjson(text: string, line: number): string;
  /** One parsed JSON value (an event object) → one formatted result (no newline). */
  json(value: unknown, line: number): string;
  /** A row rejected before it could be read (e.g. unparseable JSON) → its result row. */
  reject(line: number, message: string): string;
}

const LABEL_KEYS = ['label', 'is_fraud', 'malicious'] as const;

function roundRisk(r: number): number {
  return Math.round(r * 10000) / 10000;
}

/** The text of every rounded risk in 0..1, made once (one string per result row otherwise). */
const RISK_TEXT = new Array<string | undefined>(10001).fill(undefined);

function riskText(r: number): string {
  const k = Math.round(r * 10000);
  if (!(k >= 0 && k <= 10000)) return String(k / 10000);
  return (RISK_TEXT[k] ??= String(k / 10000));
}

/**
 * Creates a row scorer over an engine: CSV rows go through {@link rowToEvent}, NDJSON lines
 * through `validateEvent` (no limit on how old or new an event is: history is what batches are
 * for). Each event is scored with its own time as "now", in input order, so per-entity features
 * evolve as they would have live. Never throws on bad rows: they become result rows with `error`.
 * @example
 * const s = createRowScorer({ engine: createEngine(), format: 'csv', app: 'batch', defaultAt: Date.now(), withLabel: false });
 * s.csv(['e1', 'login', 'u1'], 2, mapColumns(['id', 'type', 'user']));
 */
export function createRowScorer(opts: RowScorerOptions): RowScorer {
  const { engine, format, app, defaultAt, withLabel, bytes } = opts;
  const maxErrors = opts.maxErrors ?? 1000;
  const totals = emptyTotals();

  function reject(
    line: number,
    message: string,
    id: string | null,
    user: string | null,
    label: number | undefined,
  ): string {
    totals.rows++;
    totals.errorCount++;
    if (totals.errors.length < maxErrors) totals.errors.push({ line, message });
    return render(line, id, user, null, undefined, label, message);
  }

  function accept(line: number, event: VigilEvent, label: number | undefined): string {
    totals.rows++;
    let d: Decision;
    try {
      d = engine.score(event, event.at);
    } catch (err) {
      return reject(
        line,
        `scoring failed: ${err instanceof Error ? err.message : String(err)}`,
        event.id,
        event.user ?? null,
        label,
      );
    }
    totals.scored++;
    totals.byLevel[d.level]++;
    totals.byOutcome[d.outcome]++;
    return render(line, event.id, event.user ?? null, event.type, d, label, null);
  }

  function render(
    line: number,
    id: string | null,
    user: string | null,
    type: string | null,
    d: Decision | undefined,
    label: number | undefined,
    error: string | null,
  ): string {
    const sig = d?.signals;
    if (format === 'csv' && bytes !== undefined) {
      renderCsvBytes(bytes, line, id, user, type, d, label, error);
      return '';
    }
    if (format === 'csv') {
      let codes = '';
      if (sig !== undefined) {
        const n = sig.length < TOP_SIGNALS ? sig.length : TOP_SIGNALS;
        for (let i = 0; i < n; i++) codes += i === 0 ? sig[i]!.code : `|${sig[i]!.code}`;
      }
      const head = `${line},${id === null ? '' : csvCell(id)},${user === null ? '' : csvCell(user)},${type === null ? '' : csvCell(type)},`;
      const body =
        d === undefined
          ? ',,,,,'
          : `${riskText(d.risk)},${d.score},${d.level},${d.outcome},${d.flag},${csvCell(codes)}`;
      const lab = withLabel ? `,${label === undefined ? '' : label}` : '';
      return `${head}${body}${lab},${error === null ? '' : csvCell(error)}`;
    }
    const row: ResultRow = {
      line,
      id,
      user,
      type,
      risk: d === undefined ? null : roundRisk(d.risk),
      score: d?.score ?? null,
      level: d?.level ?? null,
      outcome: d?.outcome ?? null,
      flag: d?.flag ?? null,
      signals: sig === undefined ? [] : sig.slice(0, TOP_SIGNALS).map((s) => s.code),
      ...(withLabel ? { label: label ?? null } : {}),
      error,
    };
    return JSON.stringify(row);
  }

  /** {@link render}'s CSV row, written as bytes. */
  function renderCsvBytes(
    out: ResultBytes,
    line: number,
    id: string | null,
    user: string | null,
    type: string | null,
    d: Decision | undefined,
    label: number | undefined,
    error: string | null,
  ): void {
    const sig = d?.signals;
    const n = sig === undefined ? 0 : sig.length < TOP_SIGNALS ? sig.length : TOP_SIGNALS;
    let chars = (id?.length ?? 0) + (user?.length ?? 0) + (type?.length ?? 0) + (error?.length ?? 0);
    let quoted = false;
    for (let i = 0; i < n; i++) {
      const code = sig![i]!.code;
      chars += code.length + 1;
      if (needsQuotes(code)) quoted = true;
    }
    out.ensure(128 + 6 * chars);
    out.int(line);
    out.byte(COMMA);
    if (id !== null) out.cell(id);
    out.byte(COMMA);
    if (user !== null) out.cell(user);
    out.byte(COMMA);
    if (type !== null) out.cell(type);
    out.byte(COMMA);
    if (d === undefined) out.text(',,,,,');
    else {
      out.text(riskText(d.risk));
      out.byte(COMMA);
      out.int(d.score);
      out.byte(COMMA);
      out.text(d.level);
      out.byte(COMMA);
      out.text(d.outcome);
      out.byte(COMMA);
      out.text(d.flag);
      out.byte(COMMA);
      if (quoted)
        out.text(
          csvCell(
            sig!
              .slice(0, n)
              .map((x) => x.code)
              .join('|'),
          ),
        );
      else
        for (let i = 0; i < n; i++) {
          if (i > 0) out.byte(124);
          out.text(sig![i]!.code);
        }
    }
    if (withLabel) {
      out.byte(COMMA);
      if (label !== undefined) out.int(label);
    }
    out.byte(COMMA);
    if (error !== null) out.cell(error);
  }

  return {
    totals,
    csv(fields, line, mapping) {
      if (typeof fields === 'string') return reject(line, fields, null, null, undefined);
      const width = mapping.names.length;
      if (fields.length !== width) {
        return reject(line, `expected ${width} fields, found ${fields.length}`, null, null, undefined);
      }
      const r = rowToEvent(fields, mapping, {
        app,
        defaultAt,
        line,
        ...(opts.defaultType !== undefined ? { defaultType: opts.defaultType } : {}),
      });
      if (!r.ok) {
        const id = mapping.columns.find((c) => c.field === 'id');
        const idCell = id === undefined ? undefined : fields[id.index];
        const userCell = mapping.userIndex >= 0 ? fields[mapping.userIndex] : undefined;
        return reject(line, r.message, idCell || null, userCell || null, r.label);
      }
      return accept(line, r.event, r.label);
    },
    ndjson(text, line) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        return reject(
          line,
          `not valid JSON: ${err instanceof Error ? err.message : 'unparseable'}`,
          null,
          null,
          undefined,
        );
      }
      return json(value, line);
    },
    json,
    reject: (line, message) => reject(line, message, null, null, undefined),
  };

  function json(value: unknown, line: number): string {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return reject(line, 'each line must be a JSON object (one event)', null, null, undefined);
    }
    const input: Record<string, unknown> = { ...value };
    let label: number | undefined;
    for (const k of LABEL_KEYS) {
      if (!(k in input)) continue;
      const l = input[k];
      label =
        typeof l === 'boolean'
          ? l
            ? 1
            : 0
          : typeof l === 'number'
            ? l > 0
              ? 1
              : 0
            : typeof l === 'string'
              ? parseLabel(l)
              : label;
      delete input[k];
    }
    if (input['id'] === undefined || input['id'] === '') input['id'] = `line-${line}`;
    if (input['type'] === undefined && opts.defaultType !== undefined) input['type'] = opts.defaultType;
    const v = validateEvent(input, {
      now: defaultAt,
      app,
      maxPastMs: Number.POSITIVE_INFINITY,
      maxFutureMs: Number.POSITIVE_INFINITY,
    });
    if (!v.ok) {
      const message = v.problems
        .map((p) => `${p.path.replace(/^\//, '').replace(/\//g, '.') || 'event'}: ${p.message}`)
        .join('; ');
      const id = typeof input['id'] === 'string' ? input['id'] : null;
      const user = typeof input['user'] === 'string' ? input['user'] : null;
      return reject(line, message, id, user, label);
    }
    return accept(line, v.value, label);
  }
}
