import { describe, expect, it } from 'vitest';
import {
  extensionOf,
  normalizeMime,
  sniffMime,
  SNIFFED_TYPES,
  TYPE_EXTENSIONS,
  typeOfExtension,
} from './mime-sniff.js';
import { bytes, HEADS } from './file-heads.fake.js';

describe('sniffMime', () => {
  it.each([
    ['jpeg', 'image/jpeg'],
    ['png', 'image/png'],
    ['gif', 'image/gif'],
    ['webp', 'image/webp'],
    ['mp4', 'video/mp4'],
    ['mov', 'video/quicktime'],
    ['avif', 'image/avif'],
    ['heic', 'image/heic'],
    ['webm', 'video/webm'],
    ['mkv', 'video/x-matroska'],
    ['pdf', 'application/pdf'],
    ['zip', 'application/zip'],
    ['gzip', 'application/gzip'],
    ['exe', 'application/x-msdownload'],
    ['elf', 'application/x-elf'],
    ['svg', 'image/svg+xml'],
    ['html', 'text/html'],
    ['wav', 'audio/wav'],
    ['mp3', 'audio/mpeg'],
    ['ogg', 'audio/ogg'],
    ['bmp', 'image/bmp'],
    ['tiff', 'image/tiff'],
  ] as const)('recognises %s by its magic bytes', (name, type) => {
    expect(sniffMime(HEADS[name])).toBe(type);
  });

  it('finds an SVG after a UTF-8 BOM, whitespace and a doctype', () => {
    const head = new Uint8Array([
      0xef,
      0xbb,
      0xbf,
      ...Buffer.from('  <!DOCTYPE svg PUBLIC "x">\n<SVG width="1">'),
    ]);
    expect(sniffMime(head)).toBe('image/svg+xml');
  });

  it('recognises nothing in empty, short, text or random heads', () => {
    expect(sniffMime(new Uint8Array())).toBeUndefined();
    expect(sniffMime(bytes(0xff, 0xd8))).toBeUndefined();
    expect(sniffMime(bytes('hello world, just text'))).toBeUndefined();
    expect(sniffMime(bytes(0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07))).toBeUndefined();
    // 'RIFF' alone is neither WebP nor WAV
    expect(sniffMime(bytes('RIFF', 0, 0, 0, 0, 'AVI '))).toBeUndefined();
  });

  it('has an extension for every type it reports', () => {
    for (const t of SNIFFED_TYPES) expect(TYPE_EXTENSIONS[t].length).toBeGreaterThan(0);
  });
});

describe('names and claims', () => {
  it('normalises claimed types: case, parameters, aliases', () => {
    expect(normalizeMime('Image/JPG; charset=binary')).toBe('image/jpeg');
    expect(normalizeMime(' image/PNG ')).toBe('image/png');
    expect(normalizeMime('application/x-zip-compressed')).toBe('application/zip');
    expect(normalizeMime('')).toBe('');
  });

  it('reads extensions from the last dot of the base name', () => {
    expect(extensionOf('meme.jpg')).toBe('jpg');
    expect(extensionOf('Meme.Final.JPEG')).toBe('jpeg');
    expect(extensionOf('dir.v2/readme')).toBe('');
    expect(extensionOf('.bashrc')).toBe('');
    expect(extensionOf('trailing.')).toBe('');
    expect(extensionOf('C:\\x\\a.png')).toBe('png');
    expect(typeOfExtension('JPG')).toBe('image/jpeg');
    expect(typeOfExtension('php')).toBeUndefined();
  });
});
