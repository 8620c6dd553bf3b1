/**
 * Compact binary encoding for feature-store snapshots.
 *
 * Layout: the 4-byte magic `VGFS`, one format-version byte, the body, then a 32-bit checksum of
 * everything before it. Numbers are little-endian; raw typed-array sections are copied as is,
 * so the writer refuses to run on a big-endian machine rather than produce a wrong snapshot.
 * Any truncated, altered or unknown-version input makes the reader throw a clear Error.
 */

const MAGIC = [0x56, 0x47, 0x46, 0x53] as const; // 'VGFS'
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Error thrown for bytes that are not a valid snapshot. @example throw corruptSnapshot('bad row marker 7'); */
export function corruptSnapshot(reason: string): Error {
  return new Error(`corrupt feature snapshot: ${reason}`);
}

function rotl13(h: number): number {
  return (h << 13) | (h >>> 19);
}

/**
 * 32-bit checksum of bytes: four FNV-style lanes over interleaved 32-bit words (independent lanes
 * let the CPU overlap the multiplies), mixed at the end. Every step is a bijection of its lane,
 * so any single changed word always changes the result; several changes cancel out with
 * probability about 2^-32.
 * @example checksum32(new Uint8Array([1, 2, 3]));
 */
export function checksum32(bytes: Uint8Array, end = bytes.length): number {
  const words = end >>> 2;
  let a = 0x811c9dc5 ^ end;
  let b = 0x01000193;
  let c = 0x9e3779b9 | 0;
  let d = 0x85ebca6b | 0;
  const P = 0x01000193;
  let i = 0;
  if ((bytes.byteOffset & 3) === 0 && LITTLE_ENDIAN) {
    const w = new Int32Array(bytes.buffer, bytes.byteOffset, words);
    for (; i + 4 <= words; i += 4) {
      a = rotl13(Math.imul(a ^ w[i]!, P));
      b = rotl13(Math.imul(b ^ w[i + 1]!, P));
      c = rotl13(Math.imul(c ^ w[i + 2]!, P));
      d = rotl13(Math.imul(d ^ w[i + 3]!, P));
    }
    for (; i < words; i++) a = rotl13(Math.imul(a ^ w[i]!, P));
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (; i + 4 <= words; i += 4) {
      a = rotl13(Math.imul(a ^ dv.getInt32(i << 2, true), P));
      b = rotl13(Math.imul(b ^ dv.getInt32((i + 1) << 2, true), P));
      c = rotl13(Math.imul(c ^ dv.getInt32((i + 2) << 2, true), P));
      d = rotl13(Math.imul(d ^ dv.getInt32((i + 3) << 2, true), P));
    }
    for (; i < words; i++) a = rotl13(Math.imul(a ^ dv.getInt32(i << 2, true), P));
  }
  for (let j = words << 2; j < end; j++) a = rotl13(Math.imul(a ^ bytes[j]!, P));
  let h = a;
  h = rotl13(Math.imul(h ^ b, P));
  h = rotl13(Math.imul(h ^ c, P));
  h = rotl13(Math.imul(h ^ d, P));
  return h >>> 0;
}

type Raw = Float64Array | Uint32Array | Int32Array | Uint8Array;

/**
 * Appends binary values to a growing buffer.
 * @example const w = new ByteWriter(1); w.u32(7); const bytes = w.finish();
 */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  /** `capacity`: expected size in bytes (avoids regrowing the buffer for large snapshots). */
  constructor(version: number, capacity = 1 << 16) {
    if (!LITTLE_ENDIAN) throw new Error('feature snapshots need a little-endian machine');
    this.buf = new Uint8Array(Math.max(64, Math.ceil(capacity)));
    this.view = new DataView(this.buf.buffer);
    for (const b of MAGIC) this.u8(b);
    this.u8(version);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  i32(v: number): void {
    this.room(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  str(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const n = s.length;
    this.room(4 + n * 3);
    const buf = this.buf;
    let p = this.pos + 4;
    // ASCII fast path (ids almost always are): no view object per string.
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[p++] = c;
    }
    if (i < n) p += encoder.encodeInto(s.slice(i), buf.subarray(p)).written;
    this.view.setUint32(this.pos, p - this.pos - 4, true);
    this.pos = p;
  }

  /** The first `count` elements of a typed array, as raw bytes. */
  raw(a: Raw, count: number): void {
    const n = count * a.BYTES_PER_ELEMENT;
    this.room(n);
    this.buf.set(new Uint8Array(a.buffer, a.byteOffset, n), this.pos);
    this.pos += n;
  }

  /**
   * The bytes written so far with the checksum appended: a view of the buffer when it is mostly
   * used (no second copy of a large snapshot), else a trimmed copy.
   */
  finish(): Uint8Array {
    const sum = checksum32(this.buf, this.pos);
    this.u32(sum);
    return this.pos >= this.buf.length * 0.75 ? this.buf.subarray(0, this.pos) : this.buf.slice(0, this.pos);
  }
}

/**
 * Reads what a {@link ByteWriter} wrote; every read checks bounds and throws a clear Error.
 * @example const r = ByteReader.open(bytes, 1); r.u32();
 */
export class ByteReader {
  private pos = 0;
  private readonly view: DataView;

  private constructor(
    private readonly buf: Uint8Array,
    private readonly end: number,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Checks magic, version and checksum; the reader starts after the header. */
  static open(bytes: Uint8Array, version: number): ByteReader {
    if (!(bytes instanceof Uint8Array)) throw corruptSnapshot('expected a Uint8Array');
    if (bytes.length < 9) throw corruptSnapshot(`only ${bytes.length} bytes`);
    for (let i = 0; i < MAGIC.length; i++)
      if (bytes[i] !== MAGIC[i]) throw corruptSnapshot('not a Vigil feature snapshot (bad magic)');
    if (bytes[4] !== version)
      throw corruptSnapshot(`unsupported format version ${bytes[4]} (expected ${version})`);
    const end = bytes.length - 4;
    const r = new ByteReader(bytes, end);
    if (r.view.getUint32(end, true) !== checksum32(bytes, end))
      throw corruptSnapshot('checksum mismatch (truncated or altered bytes)');
    r.pos = 5;
    return r;
  }

  private need(n: number): number {
    const p = this.pos;
    if (p + n > this.end) throw corruptSnapshot(`unexpected end of data at byte ${p}`);
    this.pos = p + n;
    return p;
  }

  u8(): number {
    return this.buf[this.need(1)]!;
  }

  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }

  /** A u32 that must be <= max (counts and indexes). */
  count(max: number, what: string): number {
    const v = this.u32();
    if (v > max) throw corruptSnapshot(`${what} ${v} out of range (max ${max})`);
    return v;
  }

  i32(): number {
    return this.view.getInt32(this.need(4), true);
  }

  f64(): number {
    return this.view.getFloat64(this.need(8), true);
  }

  str(): string {
    const n = this.u32();
    const p = this.need(n);
    try {
      return decoder.decode(this.buf.subarray(p, p + n));
    } catch {
      throw corruptSnapshot(`invalid UTF-8 at byte ${p}`);
    }
  }

  /** Fills the first `count` elements of `a` from raw bytes. */
  raw(a: Raw, count: number): void {
    const n = count * a.BYTES_PER_ELEMENT;
    const p = this.need(n);
    new Uint8Array(a.buffer, a.byteOffset, n).set(this.buf.subarray(p, p + n));
  }

  /** Throws unless every byte of the body was read. */
  done(): void {
    if (this.pos !== this.end) throw corruptSnapshot(`${this.end - this.pos} unexpected trailing bytes`);
  }
}
