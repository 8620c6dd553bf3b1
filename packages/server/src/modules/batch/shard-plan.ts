import { isAscii } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { ColumnMapping } from './batch-columns.js';
import { createCsvScanner } from './csv-scanner.js';
import type { InputFormat } from './row-scorer.js';

/**
 * How rows are spread over workers:
 * - `entity`: by connected component of users, devices, IPs and referrers (two users who ever
 *   shared a device or an IP, or a referrer and the accounts it referred, land in the same shard),
 *   found in a first pass over the file, then components packed onto shards by size. User, device,
 *   IP and referral features are exact; only features of other shared keys (an e-mail domain, a
 *   wallet counterparty) can be split. Those are left out because they join almost everyone (one
 *   popular domain or exchange wallet would put every row in one shard).
 * - `user`: by a hash of the user, no first pass; per-user features are exact, device and IP
 *   features see only the shard's users.
 */
export const SHARD_STRATEGIES = ['entity', 'user'] as const;
export type ShardStrategy = (typeof SHARD_STRATEGIES)[number];

/** Key spaces of the union-find: users (and referrers, who are users), devices, IPs. */
const USERS = 0;
const DEVICES = 1;
const IPS = 2;

/** A growable union-find over string keys, one id sequence over its key spaces. */
class Components {
  private readonly ids = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
  private parent = new Int32Array(1024);
  private n = 0;
  /** By user id: the device and the IP last joined with the user. */
  readonly lastDevice: (string | undefined)[] = [];
  readonly lastIp: (string | undefined)[] = [];
  /** By id: the key and its space. */
  readonly names: string[] = [];
  readonly spaces: number[] = [];

  /** The last key looked up in each space and its id: rows of one session repeat their keys. */
  private readonly lastKey: (string | undefined)[] = [undefined, undefined, undefined];
  private readonly lastId = [0, 0, 0];

  id(space: number, key: string): number {
    if (key === this.lastKey[space]) return this.lastId[space]!;
    const ids = this.ids[space]!;
    let id = ids.get(key);
    if (id === undefined) {
      id = this.n++;
      if (id >= this.parent.length) {
        const grown = new Int32Array(this.parent.length * 2);
        grown.set(this.parent);
        this.parent = grown;
      }
      this.parent[id] = id;
      this.lastDevice.push(undefined);
      this.lastIp.push(undefined);
      this.names.push(key);
      this.spaces.push(space);
      ids.set(key, id);
    }
    this.lastKey[space] = key;
    this.lastId[space] = id;
    return id;
  }

  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]!]!;
      x = p[x]!;
    }
    return x;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[ra] = rb;
  }

  get size(): number {
    return this.n;
  }
}

/** Row → representative key id (or -1), growable. */
class RowReps {
  data = new Int32Array(1 << 16);
  n = 0;
  push(v: number): void {
    if (this.n === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.n++] = v;
  }
}

/** Where each row of a CSV file starts (byte offset) and its line, growable. */
class RowPlaces {
  starts = new Float64Array(1 << 16);
  lines = new Int32Array(1 << 16);
  n = 0;
  push(start: number, line: number): void {
    if (this.n === this.starts.length) {
      const starts = new Float64Array(this.n * 2);
      starts.set(this.starts);
      this.starts = starts;
      const lines = new Int32Array(this.n * 2);
      lines.set(this.lines);
      this.lines = lines;
    }
    this.starts[this.n] = start;
    this.lines[this.n++] = line;
  }
}

/**
 * The entity shards of a file's rows. For CSV, also where each row starts, so that a shard can
 * read its own rows and none of the others.
 */
export interface EntityPlan {
  /** The shard of every data row, by ordinal (shared memory). */
  readonly owners: Uint8Array;
  /**
   * CSV: byte offset in the file where each data row starts, by ordinal, then the end of the last
   * row's bytes (rows + 1 entries; a row's bytes run to the next row's start and include any blank
   * lines after it). Shared memory. Absent for NDJSON.
   */
  readonly starts?: Float64Array;
  /** CSV: the 1-based line each data row starts on, by ordinal (shared memory). */
  readonly lines?: Int32Array;
}

/** A key cell as the UTF-8 decoding would give it (cells are read from latin1-decoded text). */
function utf8Cell(v: string | undefined, ascii: boolean): string | undefined {
  if (v === undefined || ascii) return v;
  for (let i = 0; i < v.length; i++)
    if (v.charCodeAt(i) > 0x7f) return Buffer.from(v, 'latin1').toString('utf8');
  return v;
}

const READ_BYTES = 1 << 20;

/** Key ids of one row (-1: absent, or already joined with the row's user). */
const rowIds = new Int32Array(4);

/**
 * Gives the row's user, referrer, device and IP their ids (in that order: ids go by first sight)
 * into `rowIds`. A user's rows mostly repeat the device and IP of the user's previous row, already
 * joined with it (joining them again changes nothing): those are left out (-1) without a lookup.
 */
function keyIds(
  c: Components,
  user: string | undefined,
  device: string | undefined,
  ip: string | undefined,
  referrer: string | undefined,
): void {
  const u = user !== undefined && user !== '' ? c.id(USERS, user) : -1;
  rowIds[0] = u;
  // a referrer is a user: referral features count the accounts one user referred
  rowIds[1] = referrer !== undefined && referrer !== '' ? c.id(USERS, referrer) : -1;
  let d = -1;
  if (device !== undefined && device !== '' && (u < 0 || c.lastDevice[u] !== device)) {
    d = c.id(DEVICES, device);
    if (u >= 0) c.lastDevice[u] = device;
  }
  rowIds[2] = d;
  let i = -1;
  if (ip !== undefined && ip !== '' && (u < 0 || c.lastIp[u] !== ip)) {
    i = c.id(IPS, ip);
    if (u >= 0) c.lastIp[u] = ip;
  }
  rowIds[3] = i;
}

/** Joins a row's key ids into one component; returns the row's representative id (or -1). */
function joinIds(c: Components, u: number, r: number, d: number, i: number): number {
  let rep = u;
  if (r >= 0) {
    if (rep < 0) rep = r;
    else c.union(rep, r);
  }
  if (d >= 0) {
    if (rep < 0) rep = d;
    else c.union(rep, d);
  }
  if (i >= 0) {
    if (rep < 0) rep = i;
    else c.union(rep, i);
  }
  return rep;
}

function link(
  c: Components,
  user: string | undefined,
  device: string | undefined,
  ip: string | undefined,
  referrer: string | undefined,
): number {
  keyIds(c, user, device, ip, referrer);
  return joinIds(c, rowIds[0]!, rowIds[1]!, rowIds[2]!, rowIds[3]!);
}

/**
 * Reads the records of a CSV file from byte `from` on (a record start), the key cells only, as
 * latin1 text (one character per byte, so record offsets are byte offsets; record boundaries only
 * depend on ASCII characters, which UTF-8 decodes the same).
 */
class CsvPartScan {
  private readonly s = createCsvScanner();
  private readonly buffer = Buffer.allocUnsafe(READ_BYTES);
  private pos: number;
  private eof = false;
  private held = false;
  /** Whether every byte read so far is ASCII (then key cells need no UTF-8 decoding). */
  ascii = true;
  readonly cells: (string | undefined)[];

  constructor(
    private readonly fd: number,
    private readonly cols: readonly number[],
    private readonly from: number,
  ) {
    this.pos = from;
    this.cells = cols.map(() => undefined);
  }

  /** Moves to the next record (its picked cells in `cells`); false at the end of the file. */
  next(): boolean {
    if (this.held) {
      this.held = false;
      return true;
    }
    for (;;) {
      if (this.s.pick(this.cols, this.cells)) return true;
      if (this.eof) return false;
      const got = readSync(this.fd, this.buffer, 0, READ_BYTES, this.pos);
      this.pos += got;
      if (got === 0) this.eof = true;
      else if (this.ascii && !isAscii(this.buffer.subarray(0, got))) this.ascii = false;
      this.s.push(got > 0 ? this.buffer.toString('latin1', 0, got) : '', got === 0);
    }
  }

  /** Keeps the current record for the next `next()`. */
  hold(): void {
    this.held = true;
  }

  /** Byte offset of the current record in the file. */
  get offset(): number {
    return this.from + this.s.offset;
  }

  /** Line of the current record, counted from `from` (1 there). */
  get line(): number {
    return this.s.line;
  }

  /** Bytes of the file up to where the reading stopped. */
  get end(): number {
    return this.pos;
  }
}

/** Where user, device, IP and referrer cells are: column indexes and positions in `cols`. */
interface KeyColumns {
  /** Ascending, each once (what `pick` wants). */
  readonly cols: readonly number[];
  /** For user, device, IP, referrer: the position in `cols`, or -1 without such a column. */
  readonly at: readonly number[];
}

function keyColumns(mapping: ColumnMapping | undefined): KeyColumns {
  const col = (field: string) => mapping?.columns.find((c) => c.field === field)?.index ?? -1;
  const keyCols = [col('user'), col('device'), col('ip'), col('referrer')];
  const cols = [...new Set(keyCols.filter((c) => c >= 0))].sort((a, b) => a - b);
  return { cols, at: keyCols.map((c) => cols.indexOf(c)) };
}

/** Key ids of the current record of a scan into `rowIds`. */
function scanKeyIds(c: Components, scan: CsvPartScan, k: KeyColumns): void {
  const cell = (j: number): string | undefined => {
    const x = k.at[j]!;
    return x < 0 ? undefined : utf8Cell(scan.cells[x], scan.ascii);
  };
  keyIds(c, cell(0), cell(1), cell(2), cell(3));
}

/**
 * The second part of a parallel first pass: the rows of a CSV file from byte `from` (assumed to be
 * a record start; the caller checks) to its end, with their key ids in this part's own id space.
 */
export interface CsvPlanPart {
  readonly rows: number;
  /** Per row, the user, referrer, device and IP id (-1: absent or already joined with the user). */
  readonly ids: Int32Array;
  /** Per row, its byte offset in the file. */
  readonly starts: Float64Array;
  /** Per row, its line counted from `from` (1 there). */
  readonly lines: Int32Array;
  /** By id: the key and its space (ids go by first sight). */
  readonly names: readonly string[];
  readonly spaces: Uint8Array;
  /** Bytes of the file read (its end). */
  readonly end: number;
}

/**
 * Reads the part of a CSV file from byte `from` for a parallel first pass (see
 * {@link planEntityShards}): runs in a worker thread while the caller reads the part before it.
 * @example const part = planCsvPart('events.csv', mapping, 134_217_728);
 */
export function planCsvPart(file: string, mapping: ColumnMapping | undefined, from: number): CsvPlanPart {
  const k = keyColumns(mapping);
  const comps = new Components();
  const places = new RowPlaces();
  let ids = new Int32Array(1 << 18);
  const fd = openSync(file, 'r');
  try {
    const scan = new CsvPartScan(fd, k.cols, from);
    while (scan.next()) {
      scanKeyIds(comps, scan, k);
      const r = places.n;
      if (4 * r + 4 > ids.length) {
        const grown = new Int32Array(ids.length * 2);
        grown.set(ids);
        ids = grown;
      }
      ids.set(rowIds, 4 * r);
      places.push(scan.offset, scan.line);
    }
    return {
      rows: places.n,
      ids: ids.slice(0, 4 * places.n),
      starts: places.starts.slice(0, places.n),
      lines: places.lines.slice(0, places.n),
      names: comps.names,
      spaces: Uint8Array.from(comps.spaces),
      end: scan.end,
    };
  } finally {
    closeSync(fd);
  }
}

function stringField(v: unknown, key: string): string | undefined {
  if (typeof v !== 'object' || v === null || !(key in v)) return undefined;
  const x: unknown = Reflect.get(v, key);
  return typeof x === 'string' ? x : undefined;
}

/**
 * Plans `entity` sharding: reads the file once (the same record boundaries and ordinals the shards
 * will see), joins each row's user, device, IP and referrer into components, and packs the components onto
 * `shards` shards, largest first onto the least loaded. Rows with none of the three go round-robin.
 * Returns the shard of every data row, by ordinal, in shared memory for the workers, and for CSV
 * where each row starts and its line.
 *
 * CSV text is read as latin1 (see `CsvPartScan`); key cells with other bytes are decoded as UTF-8
 * before they are compared, so keys are the cells the shards read.
 * @example const { owners } = planEntityShards('events.csv', 'csv', mapping, 2); owners[0]; // 0 or 1
 */
export function planEntityShards(
  file: string,
  format: InputFormat,
  mapping: ColumnMapping | undefined,
  shards: number,
): EntityPlan {
  const comps = new Components();
  const reps = new RowReps();
  const fd = openSync(file, 'r');
  try {
    if (format === 'csv') {
      const places = new RowPlaces();
      const k = keyColumns(mapping);
      const scan = new CsvPartScan(fd, k.cols, 0);
      if (scan.next()) readCsvRows(comps, reps, places, scan, k, Number.POSITIVE_INFINITY); // after the header
      return finish(comps, reps, shards, places, scan.end);
    }
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    const decoder = new StringDecoder('utf8');
    let first = true;
    let carry = '';
    for (;;) {
      const got = readSync(fd, buffer, 0, READ_BYTES, null);
      let text = carry + (got > 0 ? decoder.write(buffer.subarray(0, got)) : decoder.end());
      if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
      let pos = 0;
      for (;;) {
        const nl = text.indexOf('\n', pos);
        if (nl === -1 && got > 0) break;
        const line = text.slice(pos, nl === -1 ? text.length : nl);
        pos = nl === -1 ? text.length : nl + 1;
        if (line.trim() !== '') {
          let v: unknown;
          try {
            v = JSON.parse(line);
          } catch {
            v = undefined;
          }
          reps.push(
            link(
              comps,
              stringField(v, 'user'),
              stringField(v, 'device'),
              stringField(v, 'ip'),
              stringField(v, 'referrer'),
            ),
          );
        }
        if (nl === -1) break;
      }
      carry = text.slice(pos);
      if (got === 0) break;
    }
    return finish(comps, reps, shards, undefined, 0);
  } finally {
    closeSync(fd);
  }
}

/** Files below this are planned by one thread: a helper thread takes longer to start. */
const PARALLEL_MIN_BYTES = 16 << 20;

/**
 * {@link planEntityShards} for CSV with a second thread: `part(from)` reads the second half of the
 * file (from the first line start after the middle, with {@link planCsvPart}, in a worker) while
 * this thread reads the first half; the second half's key ids are then mapped onto the first's in
 * order of first sight and its joins replayed in row order, which gives exactly the sequential
 * plan. If the split point turns out not to be a record start (a quoted cell spanning it), or the
 * helper fails, this thread reads on to the end instead. Files under `minBytes` (16 MB) are
 * planned by one thread.
 * @example const plan = await planEntityShardsParallel('events.csv', mapping, 2, (from) => runInWorker(from));
 */
export async function planEntityShardsParallel(
  file: string,
  mapping: ColumnMapping | undefined,
  shards: number,
  part: (from: number) => Promise<CsvPlanPart>,
  minBytes = PARALLEL_MIN_BYTES,
): Promise<EntityPlan> {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const split = size < minBytes ? -1 : lineStartAfter(fd, Math.floor(size / 2));
    if (split < 0) return planEntityShards(file, 'csv', mapping, shards);
    const second = part(split).then(
      (p) => p,
      () => undefined,
    );
    const comps = new Components();
    const reps = new RowReps();
    const places = new RowPlaces();
    const k = keyColumns(mapping);
    const scan = new CsvPartScan(fd, k.cols, 0);
    const stopped = scan.next() && readCsvRows(comps, reps, places, scan, k, split);
    const p = await second;
    const stopAt = stopped ? scan.offset : -1;
    const firstOfPart = p === undefined ? -2 : p.rows > 0 ? p.starts[0]! : -1;
    if (p === undefined || stopAt !== firstOfPart) {
      // the split was inside a record (or the helper failed): read on from where this thread is
      if (stopped) readCsvRows(comps, reps, places, scan, k, Number.POSITIVE_INFINITY);
      return finish(comps, reps, shards, places, scan.end);
    }
    // the part's ids in order of first sight become ids here (new ones appended in that order)
    const global = new Int32Array(p.names.length);
    for (let id = 0; id < p.names.length; id++) global[id] = comps.id(p.spaces[id]!, p.names[id]!);
    const lineShift = p.rows > 0 ? scan.line - p.lines[0]! : 0;
    const g = (x: number): number => (x < 0 ? -1 : global[x]!);
    for (let r = 0; r < p.rows; r++) {
      const o = 4 * r;
      reps.push(joinIds(comps, g(p.ids[o]!), g(p.ids[o + 1]!), g(p.ids[o + 2]!), g(p.ids[o + 3]!)));
      places.push(p.starts[r]!, p.lines[r]! + lineShift);
    }
    return finish(comps, reps, shards, places, p.end);
  } finally {
    closeSync(fd);
  }
}

/** Offset of the first line start after byte `at` (-1 when none within 1 MB). */
function lineStartAfter(fd: number, at: number): number {
  const buf = Buffer.allocUnsafe(READ_BYTES);
  const got = readSync(fd, buf, 0, READ_BYTES, at);
  const nl = buf.subarray(0, got).indexOf(10);
  return nl < 0 || at + nl + 1 >= at + got ? -1 : at + nl + 1;
}

/**
 * Reads data rows from the scan's current record on, into the components and places, until the
 * end of the file or a record starting at or after `stop` (kept for the next `next()`). Returns
 * whether it stopped at such a record.
 */
function readCsvRows(
  comps: Components,
  reps: RowReps,
  places: RowPlaces,
  scan: CsvPartScan,
  k: KeyColumns,
  stop: number,
): boolean {
  while (scan.next()) {
    if (scan.offset >= stop) {
      scan.hold();
      return true;
    }
    places.push(scan.offset, scan.line);
    scanKeyIds(comps, scan, k);
    reps.push(joinIds(comps, rowIds[0]!, rowIds[1]!, rowIds[2]!, rowIds[3]!));
  }
  return false;
}

/** Packs the components onto shards and builds the plan (`places`: CSV row starts and lines). */
function finish(
  comps: Components,
  reps: RowReps,
  shards: number,
  places: RowPlaces | undefined,
  end: number,
): EntityPlan {
  // rows per component, then components onto shards, largest first onto the least loaded
  const rows = reps.n;
  const compRows = new Int32Array(comps.size);
  for (let r = 0; r < rows; r++) {
    const rep = reps.data[r]!;
    if (rep >= 0) {
      const root = comps.find(rep);
      reps.data[r] = root;
      compRows[root]!++;
    }
  }
  const roots: number[] = [];
  for (let i = 0; i < compRows.length; i++) if (compRows[i]! > 0) roots.push(i);
  roots.sort((a, b) => compRows[b]! - compRows[a]! || a - b);
  const load = new Float64Array(shards);
  const shardOfRoot = new Uint8Array(comps.size);
  for (const root of roots) {
    let best = 0;
    for (let s = 1; s < shards; s++) if (load[s]! < load[best]!) best = s;
    shardOfRoot[root] = best;
    load[best]! += compRows[root]!;
  }
  const owners = new Uint8Array(new SharedArrayBuffer(Math.max(1, rows)));
  for (let r = 0; r < rows; r++) {
    const root = reps.data[r]!;
    owners[r] = root >= 0 ? shardOfRoot[root]! : r % shards;
  }
  if (places === undefined) return { owners: owners.subarray(0, rows) };
  const starts = new Float64Array(new SharedArrayBuffer((rows + 1) * 8));
  starts.set(places.starts.subarray(0, rows));
  starts[rows] = end; // the end of the last row
  const lines = new Int32Array(new SharedArrayBuffer(Math.max(1, rows) * 4)).subarray(0, rows);
  lines.set(places.lines.subarray(0, rows));
  return { owners: owners.subarray(0, rows), starts, lines };
}
