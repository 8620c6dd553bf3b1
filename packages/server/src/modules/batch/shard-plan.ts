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

/** A growable union-find over string keys. */
class Components {
  private readonly ids = new Map<string, number>();
  private parent = new Int32Array(1024);
  private n = 0;

  id(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.n++;
      if (id >= this.parent.length) {
        const grown = new Int32Array(this.parent.length * 2);
        grown.set(this.parent);
        this.parent = grown;
      }
      this.parent[id] = id;
      this.ids.set(key, id);
    }
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

const READ_BYTES = 1 << 20;

function link(
  c: Components,
  user: string | undefined,
  device: string | undefined,
  ip: string | undefined,
  referrer: string | undefined,
): number {
  let rep = -1;
  if (user !== undefined && user !== '') rep = c.id(`u${user}`);
  if (referrer !== undefined && referrer !== '') {
    // a referrer is a user: referral features count the accounts one user referred
    const r = c.id(`u${referrer}`);
    if (rep < 0) rep = r;
    else c.union(rep, r);
  }
  if (device !== undefined && device !== '') {
    const d = c.id(`d${device}`);
    if (rep < 0) rep = d;
    else c.union(rep, d);
  }
  if (ip !== undefined && ip !== '') {
    const i = c.id(`i${ip}`);
    if (rep < 0) rep = i;
    else c.union(rep, i);
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
 * Returns the shard of every data row, by ordinal, in shared memory for the workers.
 * @example const owners = planEntityShards('events.csv', 'csv', mapping, 2); owners[0]; // 0 or 1
 */
export function planEntityShards(
  file: string,
  format: InputFormat,
  mapping: ColumnMapping | undefined,
  shards: number,
): Uint8Array {
  const comps = new Components();
  const reps = new RowReps();
  const col = (field: string) => mapping?.columns.find((c) => c.field === field)?.index ?? -1;
  const userAt = col('user');
  const deviceAt = col('device');
  const ipAt = col('ip');
  const referrerAt = col('referrer');
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    const decoder = new StringDecoder('utf8');
    let first = true;
    if (format === 'csv') {
      const s = createCsvScanner();
      for (;;) {
        const got = readSync(fd, buffer, 0, READ_BYTES, null);
        let text = got > 0 ? decoder.write(buffer.subarray(0, got)) : decoder.end();
        if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        s.push(text, got === 0);
        while (s.next()) {
          if (first) {
            first = false; // the header
            continue;
          }
          reps.push(
            link(
              comps,
              userAt >= 0 ? s.field(userAt) : undefined,
              deviceAt >= 0 ? s.field(deviceAt) : undefined,
              ipAt >= 0 ? s.field(ipAt) : undefined,
              referrerAt >= 0 ? s.field(referrerAt) : undefined,
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
  return owners.subarray(0, rows);
}
