import { describe, expect, it } from 'vitest';
import { DEFAULT_GATEKEEPER_CONFIG } from '../config/config-document.js';
import { HEADS } from './file-heads.fake.js';
import { checkUpload } from './upload-check.js';

const limits = DEFAULT_GATEKEEPER_CONFIG.uploads;
const MB = 1024 * 1024;
const codes = (r: ReturnType<typeof checkUpload>) => r.errors.map((e) => e.code);

describe('checkUpload', () => {
  it("accepts the spec's example: meme.jpg, image/jpeg, 5 MB, JPEG bytes", () => {
    const r = checkUpload(
      { filename: 'meme.jpg', contentType: 'image/jpeg', contentLength: 5 * MB, head: HEADS.jpeg },
      limits,
    );
    expect(r).toMatchObject({
      valid: true,
      claimedType: 'image/jpeg',
      detectedType: 'image/jpeg',
      extension: 'jpg',
      extensionType: 'image/jpeg',
      maxBytes: 15 * MB,
      sniffed: true,
      errors: [],
    });
  });

  it('refuses a file over the limit and an empty one, with sizes in the message', () => {
    const big = checkUpload(
      { filename: 'meme.jpg', contentType: 'image/jpeg', contentLength: 15 * MB + 1, head: HEADS.jpeg },
      limits,
    );
    expect(codes(big)).toEqual(['file_too_large']);
    expect(big.errors[0]?.message).toBe('the file is 15.00 MB; the limit is 15 MB');
    expect(
      checkUpload(
        { filename: 'meme.jpg', contentType: 'image/jpeg', contentLength: 15 * MB, head: HEADS.jpeg },
        limits,
      ).valid,
    ).toBe(true);
    expect(
      codes(
        checkUpload(
          { filename: 'a.jpg', contentType: 'image/jpeg', contentLength: 0, head: HEADS.jpeg },
          limits,
        ),
      ),
    ).toEqual(['empty_file']);
  });

  it('trusts the bytes, not the claim: an executable named meme.jpg is refused for three reasons', () => {
    const r = checkUpload(
      { filename: 'meme.jpg', contentType: 'image/jpeg', contentLength: 1000, head: HEADS.exe },
      limits,
    );
    expect(r.detectedType).toBe('application/x-msdownload');
    expect(codes(r)).toEqual(['type_not_allowed', 'type_mismatch', 'extension_mismatch']);
    expect(r.errors[1]?.message).toBe(
      'the file is declared as image/jpeg but its content is application/x-msdownload',
    );
  });

  it('refuses a PNG declared as JPEG even though both are allowed', () => {
    const r = checkUpload(
      { filename: 'meme.jpg', contentType: 'image/jpeg', contentLength: 1000, head: HEADS.png },
      limits,
    );
    expect(codes(r)).toEqual(['type_mismatch', 'extension_mismatch']);
  });

  it('refuses SVG by default (scripts) and accepts it when the app allows it', () => {
    const req = { filename: 'logo.svg', contentType: 'image/svg+xml', contentLength: 2000, head: HEADS.svg };
    expect(codes(checkUpload(req, limits))).toEqual(['type_not_allowed']);
    expect(
      checkUpload(req, { ...limits, allowedTypes: [...limits.allowedTypes, 'image/svg+xml'] }).valid,
    ).toBe(true);
  });

  it('reports unknown content, missing and unknown extensions, and bad names', () => {
    const r = checkUpload(
      { filename: 'notes', contentType: 'text/plain', contentLength: 10, head: new Uint8Array([1, 2, 3, 4]) },
      limits,
    );
    expect(codes(r)).toEqual(['missing_extension', 'unrecognized_content', 'claimed_type_not_allowed']);
    expect(
      codes(
        checkUpload(
          { filename: 'x.php', contentType: 'image/jpeg', contentLength: 10, head: HEADS.jpeg },
          limits,
        ),
      ),
    ).toEqual(['unknown_extension']);
    expect(
      codes(
        checkUpload(
          { filename: '../etc/a.jpg', contentType: 'image/jpeg', contentLength: 10, head: HEADS.jpeg },
          limits,
        ),
      ),
    ).toEqual(['invalid_filename']);
    expect(
      codes(
        checkUpload(
          { filename: 'a\u0000.jpg', contentType: 'image/jpeg', contentLength: 10, head: HEADS.jpeg },
          limits,
        ),
      ),
    ).toContain('invalid_filename');
  });

  it('without bytes, judges the claim: allowed and agreeing with the extension', () => {
    const ok = checkUpload({ filename: 'meme.jpg', contentType: 'image/jpg', contentLength: 5 * MB }, limits);
    expect(ok).toMatchObject({ valid: true, sniffed: false, detectedType: null, claimedType: 'image/jpeg' });
    expect(
      codes(checkUpload({ filename: 'meme.png', contentType: 'image/jpeg', contentLength: 10 }, limits)),
    ).toEqual(['extension_mismatch']);
    expect(
      codes(checkUpload({ filename: 'doc.pdf', contentType: 'application/pdf', contentLength: 10 }, limits)),
    ).toEqual(['claimed_type_not_allowed']);
  });

  it('follows a smaller configured limit and a narrower type list', () => {
    const narrow = { maxBytes: 1 * MB, allowedTypes: ['image/png'] as const };
    expect(
      codes(
        checkUpload(
          { filename: 'meme.jpg', contentType: 'image/jpeg', contentLength: 2 * MB, head: HEADS.jpeg },
          narrow,
        ),
      ),
    ).toEqual(['file_too_large', 'type_not_allowed']);
  });
});
