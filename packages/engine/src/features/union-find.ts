import { corruptSnapshot, type ByteReader, type ByteWriter } from './snapshot-codec.js';

/** Node group of the clustered entities themselves (users); via values use groups 1.. @example g.node(MEMBER_GROUP, 'u1', at); */
export const MEMBER_GROUP = 0;

/**
 * Union-find (disjoint sets with path compression and union by size) linking members (users)
 * through the values they share (devices, IPs...). Only members count towards a cluster's size.
 *
 * Memory per node is constant: parent, set size, member count, link count, last-seen time, group
 * and key (about 33 bytes plus the map entry and key string); no adjacency lists are kept. The
 * only per-node link record is a counter of how many distinct sets a via value has merged: once it
 * reaches `maxLinks` the value stops merging new members (a hub such as a carrier NAT address or a
 * public Wi-Fi would otherwise fuse unrelated users into one giant cluster).
 * @example
 * const g = new ClusterGraph(2, 1000);
 * const a = g.node(MEMBER_GROUP, 'alice', t); const d = g.node(1, 'dev1', t);
 * g.link(a, d); g.membersOf(a); // 1
 */
export class ClusterGraph {
  readonly maps: Map<string, number>[];
  readonly maxLinks: number;
  parent = new Int32Array(8);
  size = new Int32Array(8);
  members = new Int32Array(8);
  links = new Int32Array(8);
  seen = new Float64Array(8);
  group = new Uint8Array(8);
  keys: string[] = [];
  n = 0;

  constructor(groups: number, maxLinks: number) {
    if (groups < 1 || groups > 255) throw new Error('a cluster needs 1..255 node groups');
    this.maps = Array.from({ length: groups }, () => new Map<string, number>());
    this.maxLinks = maxLinks;
  }

  private grow(): void {
    const cap = this.parent.length * 2;
    const i32 = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.parent = i32(this.parent);
    this.size = i32(this.size);
    this.members = i32(this.members);
    this.links = i32(this.links);
    const s = new Float64Array(cap);
    s.set(this.seen);
    this.seen = s;
    const g = new Uint8Array(cap);
    g.set(this.group);
    this.group = g;
  }

  /** The node of a value, created as a singleton set when new; marks it seen at `at`. */
  node(group: number, id: string, at: number): number {
    const map = this.maps[group]!;
    let x = map.get(id);
    if (x === undefined) {
      x = this.n++;
      if (x >= this.parent.length) this.grow();
      map.set(id, x);
      this.keys.push(id);
      this.parent[x] = x;
      this.size[x] = 1;
      this.members[x] = group === MEMBER_GROUP ? 1 : 0;
      this.links[x] = 0;
      this.seen[x] = at;
      this.group[x] = group;
    } else if (at > this.seen[x]!) this.seen[x] = at;
    return x;
  }

  /** Marks a node seen at `at`. */
  touch(x: number, at: number): void {
    if (at > this.seen[x]!) this.seen[x] = at;
  }

  /** The node of a value, or undefined when never seen. */
  lookup(group: number, id: string): number | undefined {
    return this.maps[group]!.get(id);
  }

  /** Root of a node's set (compresses the path). */
  find(x: number): number {
    const p = this.parent;
    let r = x;
    while (p[r] !== r) r = p[r]!;
    while (p[x] !== r) {
      const next = p[x]!;
      p[x] = r;
      x = next;
    }
    return r;
  }

  /** Links a member to a via value unless the value already merged `maxLinks` sets. */
  link(member: number, via: number): void {
    let a = this.find(member);
    let b = this.find(via);
    if (a === b || this.links[via]! >= this.maxLinks) return;
    this.links[via]!++;
    if (this.size[a]! < this.size[b]!) {
      const t = a;
      a = b;
      b = t;
    }
    this.parent[b] = a;
    this.size[a]! += this.size[b]!;
    this.members[a]! += this.members[b]!;
  }

  /** Members in the set of a node. */
  membersOf(x: number): number {
    return this.members[this.find(x)]!;
  }

  /**
   * Drops nodes not seen since `before`. Survivors keep their set membership (links made through
   * a dropped value stay: the cluster spans the whole history), set sizes count survivors only.
   */
  expire(before: number): void {
    const n = this.n;
    const next = new ClusterGraph(this.maps.length, this.maxLinks);
    const rootOf = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      if (!(this.seen[i]! >= before)) continue;
      const r = this.find(i);
      const g = this.group[i]!;
      const x = next.node(g, this.keys[i]!, this.seen[i]!);
      next.links[x] = this.links[i]!;
      const nr = rootOf[r]!;
      if (nr < 0) rootOf[r] = x;
      else {
        next.parent[x] = nr;
        next.size[x] = 1;
        next.size[nr]!++;
        next.members[nr]! += next.members[x]!;
      }
    }
    this.parent = next.parent;
    this.size = next.size;
    this.members = next.members;
    this.links = next.links;
    this.seen = next.seen;
    this.group = next.group;
    this.keys = next.keys;
    this.n = next.n;
    for (let g = 0; g < this.maps.length; g++) this.maps[g] = next.maps[g]!;
  }

  /** Estimated heap bytes (typed arrays by capacity, map entries, keys). */
  byteSize(): number {
    let bytes = 200 + this.parent.length * (4 * 4 + 8 + 1) + this.keys.length * 8;
    for (const m of this.maps) bytes += mapBytes(m.size);
    for (const k of this.keys) bytes += stringBytes(k);
    return bytes;
  }

  write(w: ByteWriter): void {
    const n = this.n;
    w.u32(n);
    for (let i = 0; i < n; i++) {
      w.u8(this.group[i]!);
      w.str(this.keys[i]!);
    }
    w.raw(this.parent, n);
    w.raw(this.size, n);
    w.raw(this.members, n);
    w.raw(this.links, n);
    w.raw(this.seen, n);
  }

  /** Reads what `write` wrote, validating indexes and that every parent chain ends in a root. */
  static read(r: ByteReader, groups: number, maxLinks: number): ClusterGraph {
    const g = new ClusterGraph(groups, maxLinks);
    const n = r.count(0x7fffffff, 'cluster node count');
    for (let i = 0; i < n; i++) {
      const grp = r.u8();
      const key = r.str();
      if (grp >= groups) throw corruptSnapshot(`cluster node group ${grp} out of range`);
      if (g.maps[grp]!.has(key)) throw corruptSnapshot(`duplicate cluster node ${key}`);
      const x = g.node(grp, key, 0);
      if (x !== i) throw corruptSnapshot('cluster node order');
    }
    r.raw(g.parent, n);
    r.raw(g.size, n);
    r.raw(g.members, n);
    r.raw(g.links, n);
    r.raw(g.seen, n);
    const state = new Uint8Array(n); // 0 unvisited, 1 on the current path, 2 reaches a root
    const path: number[] = [];
    for (let i = 0; i < n; i++) {
      let x = i;
      while (state[x] === 0) {
        const p = g.parent[x]!;
        if (p < 0 || p >= n) throw corruptSnapshot(`cluster parent ${p} out of range`);
        state[x] = 1;
        path.push(x);
        if (p === x) break;
        x = p;
      }
      if (state[x] === 1 && g.parent[x] !== x) throw corruptSnapshot('cluster parent cycle');
      for (const y of path) state[y] = 2;
      path.length = 0;
      if (g.size[i]! < 1 || g.members[i]! < 0 || g.links[i]! < 0)
        throw corruptSnapshot('cluster counts out of range');
    }
    return g;
  }
}

/**
 * Estimated bytes of a V8 Map with `n` entries: capacity is the next power of two, each slot
 * holds key, value and chain pointers plus half a bucket pointer (28 bytes on 64-bit).
 * @example mapBytes(1000); // 28672
 */
export function mapBytes(n: number): number {
  if (n === 0) return 64;
  let cap = 4;
  while (cap < n) cap *= 2;
  return cap * 28 + 64;
}

/**
 * Estimated bytes of a flat one-byte V8 string: 16-byte header, characters rounded up to 8.
 * Every reference is counted as its own string (an upper bound when strings are shared).
 * @example stringBytes('abc'); // 24
 */
export function stringBytes(s: string): number {
  return 16 + ((s.length + 7) & ~7);
}
