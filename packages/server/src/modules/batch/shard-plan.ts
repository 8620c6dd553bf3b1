import { isAscii } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
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

function link(
  c: Components,
  user: string | undefined,
  device: string | undefined,
  ip: string | undefined,
  referrer: string | undefined,
): number {
  let rep = -1;
  const u = user !== undefined && user !== '' ? (rep = c.id(USERS, user)) : -1;
  if (referrer !== undefined && referrer !== '') {
    // a referrer is a user: referral features count the accounts one user referred
    const r = c.id(USERS, referrer);
    if (rep < 0) rep = r;
    else c.union(rep, r);
  }
  // A user's rows mostly repeat the device and IP of the user's previous row, already joined (a
  // union that changes nothing, and ids are given on first sight): skip those lookups.
  if (device !== undefined && device !== '' && (u < 0 || c.lastDevice[u] !== device)) {
    const d = c.id(DEVICES, device);
    if (rep < 0) rep = d;
    else c.union(rep, d);
    if (u >= 0) c.lastDevice[u] = device;
  }
  if (ip !== undefined && ip !== '' && (u < 0 || c.lastIp[u] !== ip)) {
    const i = c.id(IPS, ip);
    if (rep < 0) rep = i;
    else c.union(rep, i);
    if (u >= 0) c.lastIp[u] = ip;
  }
  return rep;
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
 * CSV text is read as latin1 (one character per byte, so record offsets are byte offsets; record
 * boundaries only depend on ASCII characters, which UTF-8 decodes the same); key cells with other
 * bytes are decoded as UTF-8 before they are compared, so keys are the cells the shards read.
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
  const places = format === 'csv' ? new RowPlaces() : undefined;
  let totalBytes = 0;
  const col = (field: string) => mapping?.columns.find((c) => c.field === field)?.index ?? -1;
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    const decoder = new StringDecoder('utf8');
    let first = true;
    if (places !== undefined) {
      // the key columns in ascending order (what `pick` wants), and where each one lands
      const keyCols = [col('user'), col('device'), col('ip'), col('referrer')];
      const cols = [...new Set(keyCols.filter((c) => c >= 0))].sort((a, b) => a - b);
      const at = keyCols.map((c) => cols.indexOf(c));
      const cells: (string | undefined)[] = cols.map(() => undefined);
      const cell = (k: number): string | undefined => {
        const j = at[k]!;
        return j < 0 ? undefined : cells[j];
      };
      const s = createCsvScanner();
      let ascii = true;
      for (;;) {
        const got = readSync(fd, buffer, 0, READ_BYTES, null);
        totalBytes += got;
        if (got > 0 && ascii && !isAscii(buffer.subarray(0, got))) ascii = false;
        s.push(got > 0 ? buffer.toString('latin1', 0, got) : '', got === 0);
        while (s.pick(cols, cells)) {
          if (first) {
            first = false; // the header
            continue;
          }
          places.push(s.offset, s.line);
          reps.push(
            link(
              comps,
              utf8Cell(cell(0), ascii),
              utf8Cell(cell(1), ascii),
              utf8Cell(cell(2), ascii),
              utf8Cell(cell(3), ascii),
            ),
          );
        }
        if (got === 0) break;
      }
    } else {
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
    }
  } finally {
    closeSync(fd);
  }

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
  places.push(totalBytes, 0); // the end of the last row
  const starts = new Float64Array(new SharedArrayBuffer((rows + 1) * 8));
  starts.set(places.starts.subarray(0, rows + 1));
  const lines = new Int32Array(new SharedArrayBuffer(Math.max(1, rows) * 4)).subarray(0, rows);
  lines.set(places.lines.subarray(0, rows));
  return { owners: owners.subarray(0, rows), starts, lines };
}
