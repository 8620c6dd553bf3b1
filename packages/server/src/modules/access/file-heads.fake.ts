/** Bytes from numbers and latin1 strings. @example bytes('GIF89a', 1) */
export const bytes = (...xs: (number | string)[]): Uint8Array =>
  new Uint8Array(xs.flatMap((x) => (typeof x === 'string' ? [...Buffer.from(x, 'latin1')] : [x])));

/**
 * Real file heads (first bytes of files produced by common tools).
 * @example sniffMime(HEADS.jpeg); // 'image/jpeg'
 */
export const HEADS = {
  jpeg: bytes(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'JFIF', 0x00, 0x01, 0x01),
  png: bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 'IHDR'),
  gif: bytes('GIF89a', 0x01, 0x00, 0x01, 0x00),
  webp: bytes('RIFF', 0x24, 0x00, 0x00, 0x00, 'WEBPVP8 '),
  mp4: bytes(0, 0, 0, 0x20, 'ftypisom', 0, 0, 2, 0, 'isomiso2avc1mp41'),
  mov: bytes(0, 0, 0, 0x14, 'ftypqt  ', 0, 0, 2, 0),
  avif: bytes(0, 0, 0, 0x1c, 'ftypavif', 0, 0, 0, 0),
  heic: bytes(0, 0, 0, 0x18, 'ftypheic', 0, 0, 0, 0),
  webm: bytes(0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84, 'webm'),
  mkv: bytes(0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x88, 'matroska'),
  pdf: bytes('%PDF-1.7\n%'),
  zip: bytes(0x50, 0x4b, 0x03, 0x04, 0x14, 0x00),
  gzip: bytes(0x1f, 0x8b, 0x08, 0x00),
  exe: bytes('MZ', 0x90, 0x00, 0x03),
  elf: bytes(0x7f, 'ELF', 0x02, 0x01),
  svg: bytes(
    '<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n<svg xmlns="http://www.w3.org/2000/svg">',
  ),
  html: bytes('<!DOCTYPE html><html><script>alert(1)</script>'),
  wav: bytes('RIFF', 0x24, 0, 0, 0, 'WAVEfmt '),
  mp3: bytes('ID3', 0x03, 0x00),
  ogg: bytes('OggS', 0x00, 0x02),
  bmp: bytes('BM', 0x36, 0x28, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0),
  tiff: bytes(0x49, 0x49, 0x2a, 0x00, 0x08, 0x00),
} as const;
