/**
 * MIME detection from a file's first bytes (magic numbers), independent of what the client claims.
 * The table covers the media a meme/NFT platform accepts plus the formats worth recognising in
 * order to refuse them (archives, documents, executables, scripts disguised as images).
 */

/** Every type {@link sniffMime} can report. @example SNIFFED_TYPES.includes('image/webp'); // true */
export const SNIFFED_TYPES = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/heic',
  'image/bmp',
  'image/tiff',
  'image/svg+xml',
  'video/mp4',
  'video/quicktime',
  'video/webm',
  'video/x-matroska',
  'audio/mpeg',
  'audio/ogg',
  'audio/wav',
  'application/pdf',
  'application/zip',
  'application/gzip',
  'application/x-msdownload',
  'application/x-elf',
  'text/html',
] as const;
export type SniffedType = (typeof SNIFFED_TYPES)[number];

/** The extensions of each type (lower case, without the dot). @example TYPE_EXTENSIONS['image/jpeg']; // ['jpg', 'jpeg', 'jpe', 'jfif'] */
export const TYPE_EXTENSIONS: Readonly<Record<SniffedType, readonly string[]>> = {
  'image/jpeg': ['jpg', 'jpeg', 'jpe', 'jfif'],
  'image/png': ['png'],
  'image/gif': ['gif'],
  'image/webp': ['webp'],
  'image/avif': ['avif'],
  'image/heic': ['heic', 'heif'],
  'image/bmp': ['bmp'],
  'image/tiff': ['tif', 'tiff'],
  'image/svg+xml': ['svg'],
  'video/mp4': ['mp4', 'm4v'],
  'video/quicktime': ['mov', 'qt'],
  'video/webm': ['webm'],
  'video/x-matroska': ['mkv'],
  'audio/mpeg': ['mp3'],
  'audio/ogg': ['ogg', 'oga', 'ogv', 'opus'],
  'audio/wav': ['wav'],
  'application/pdf': ['pdf'],
  'application/zip': ['zip'],
  'application/gzip': ['gz', 'tgz'],
  'application/x-msdownload': ['exe', 'dll'],
  'application/x-elf': ['so', 'elf'],
  'text/html': ['html', 'htm'],
};

/** Non-standard spellings clients send for a type. */
const TYPE_ALIASES: Readonly<Record<string, SniffedType>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'image/svg': 'image/svg+xml',
  'image/heif': 'image/heic',
  'image/x-ms-bmp': 'image/bmp',
  'audio/mp3': 'audio/mpeg',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'application/x-zip-compressed': 'application/zip',
  'application/x-gzip': 'application/gzip',
  'video/x-webm': 'video/webm',
};

const KNOWN = new Set<string>(SNIFFED_TYPES);

/** Whether a string is one of {@link SNIFFED_TYPES}. @example isSniffedType('image/png'); // true */
export function isSniffedType(s: string): s is SniffedType {
  return KNOWN.has(s);
}

const BY_EXTENSION = new Map<string, SniffedType>();
for (const t of SNIFFED_TYPES) for (const ext of TYPE_EXTENSIONS[t]) BY_EXTENSION.set(ext, t);

/**
 * A claimed Content-Type in canonical form: lower case, parameters dropped, common aliases mapped.
 * @example normalizeMime('Image/JPG; charset=binary'); // 'image/jpeg'
 */
export function normalizeMime(claimed: string): string {
  const base = (claimed.split(';')[0] ?? '').trim().toLowerCase();
  return TYPE_ALIASES[base] ?? base;
}

/**
 * The extension of a file name (lower case, no dot), or '' when it has none.
 * @example extensionOf('Meme.Final.JPG'); // 'jpg'
 */
export function extensionOf(filename: string): string {
  const base = filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 || dot === base.length - 1 ? '' : base.slice(dot + 1).toLowerCase();
}

/** The type an extension stands for. @example typeOfExtension('jpeg'); // 'image/jpeg' */
export function typeOfExtension(ext: string): SniffedType | undefined {
  return BY_EXTENSION.get(ext.toLowerCase());
}

function startsWith(b: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (b.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[at + i] !== sig[i]) return false;
  return true;
}

function ascii(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to && i < b.length; i++) s += String.fromCharCode(b[i] ?? 0);
  return s;
}

const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);
const SVG_RE = /^(?:\s|<\?xml[^>]*\?>|<!--[\s\S]*?-->|<!doctype\s+svg[^>]*>)*<svg[\s>/]/i;
const HTML_RE = /^(?:\s|<!--[\s\S]*?-->)*<(?:!doctype\s+html|html|head|body|script)[\s>]/i;

/** Magic numbers, checked in order (the most specific first). */
const SIGNATURES: readonly { readonly type: SniffedType; readonly test: (b: Uint8Array) => boolean }[] = [
  { type: 'image/jpeg', test: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  { type: 'image/png', test: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { type: 'image/gif', test: (b) => ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a' },
  { type: 'image/webp', test: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP' },
  { type: 'audio/wav', test: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WAVE' },
  { type: 'image/avif', test: (b) => ascii(b, 4, 8) === 'ftyp' && AVIF_BRANDS.has(ascii(b, 8, 12)) },
  { type: 'image/heic', test: (b) => ascii(b, 4, 8) === 'ftyp' && HEIC_BRANDS.has(ascii(b, 8, 12)) },
  { type: 'video/quicktime', test: (b) => ascii(b, 4, 8) === 'ftyp' && ascii(b, 8, 12) === 'qt  ' },
  { type: 'video/mp4', test: (b) => ascii(b, 4, 8) === 'ftyp' },
  {
    type: 'video/webm',
    test: (b) =>
      startsWith(b, [0x1a, 0x45, 0xdf, 0xa3]) && ascii(b, 4, Math.min(b.length, 64)).includes('webm'),
  },
  { type: 'video/x-matroska', test: (b) => startsWith(b, [0x1a, 0x45, 0xdf, 0xa3]) },
  { type: 'application/pdf', test: (b) => ascii(b, 0, 5) === '%PDF-' },
  {
    type: 'application/zip',
    test: (b) =>
      startsWith(b, [0x50, 0x4b, 0x03, 0x04]) ||
      startsWith(b, [0x50, 0x4b, 0x05, 0x06]) ||
      startsWith(b, [0x50, 0x4b, 0x07, 0x08]),
  },
  { type: 'application/gzip', test: (b) => startsWith(b, [0x1f, 0x8b, 0x08]) },
  { type: 'image/bmp', test: (b) => ascii(b, 0, 2) === 'BM' && b.length >= 14 },
  {
    type: 'image/tiff',
    test: (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a]),
  },
  {
    type: 'audio/mpeg',
    test: (b) =>
      ascii(b, 0, 3) === 'ID3' || (b.length >= 2 && b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0),
  },
  { type: 'audio/ogg', test: (b) => ascii(b, 0, 4) === 'OggS' },
  { type: 'application/x-msdownload', test: (b) => ascii(b, 0, 2) === 'MZ' },
  { type: 'application/x-elf', test: (b) => startsWith(b, [0x7f, 0x45, 0x4c, 0x46]) },
];

/** Text formats: the head decoded as UTF-8 (a BOM skipped). */
function sniffText(b: Uint8Array): SniffedType | undefined {
  const start = startsWith(b, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  const text = Buffer.from(b.buffer, b.byteOffset + start, b.length - start).toString('utf8');
  if (SVG_RE.test(text)) return 'image/svg+xml';
  if (HTML_RE.test(text)) return 'text/html';
  return undefined;
}

/**
 * The type a file's first bytes say it is, or undefined when no signature matches. A few hundred
 * bytes are enough for every binary format; SVG needs its prologue (XML declaration, comments,
 * doctype) to fit in the head.
 * @example sniffMime(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])); // 'image/jpeg'
 */
export function sniffMime(head: Uint8Array): SniffedType | undefined {
  for (const s of SIGNATURES) if (s.test(head)) return s.type;
  return sniffText(head);
}
