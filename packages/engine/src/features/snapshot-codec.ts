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
 * 32-bit checksum of bytes (FNV-style over 32-bit words with a rotation). Every step is a
 * bijection of the running state, so any single changed word always changes the result; several
 * changes cancel out with probability about 2^-32.
 * @example checksum32(new Uint8Array([1, 2, 3]));
 */
export function checksum32(bytes: Uint8Array, end = bytes.length): number {
  const words = end >>> 2;
  let h = 0x811c9dc5 ^ end;
  const aligned = (bytes.byteOffset & 3) === 0;
  if (aligned && LITTLE_ENDIAN) {
    const w = new Int32Array(bytes.buffer, bytes.byteOffset, words);
    for (let i = 0; i < words; i++) h = rotl13(Math.imul(h ^ w[i]!, 0x01000193));
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < words; i++) h = rotl13(Math.imul(h ^ dv.getInt32(i << 2, true), 0x01000193));
  }
  for (let i = words << 2; i < end; i++) h = rotl13(Math.imul(h ^ bytes[i]!, 0x01000193));
  return h >>> 0;
}

type Raw = Float64Array | Uint32Array | Int32Array | Uint8Array;

/**
 * Appends binary values to a growing buffer.
 * @example const w = new ByteWriter(1); w.u32(7); const bytes = w.finish();
 */
export class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  constructor(version: number) {
    if (!LITTLE_ENDIAN) throw new Error('feature snapshots need a little-endian machine');
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
    this.room(4 + s.length * 3);
    const { written } = encoder.encodeInto(s, this.buf.subarray(this.pos + 4));
    this.view.setUint32(this.pos, written, true);
    this.pos += 4 + written;
  }

  /** The first `count` elements of a typed array, as raw bytes. */
  raw(a: Raw, count: number): void {
    const n = count * a.BYTES_PER_ELEMENT;
    this.room(n);
    this.buf.set(new Uint8Array(a.buffer, a.byteOffset, n), this.pos);
    this.pos += n;
  }

  /** The bytes written so far with the checksum appended. */
  finish(): Uint8Array {
    const sum = checksum32(this.buf, this.pos);
    this.u32(sum);
    return this.buf.slice(0, this.pos);
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
