import { describe, expect, it } from 'vitest';
import { neighbors } from '../../features/feature-spec.js';
import { createFakeFeatures, makeEvent, runDetectors } from '../testing/fake-features.js';
import { createDuplicateUploadDetector } from './duplicate-upload.detector.js';
import { MAF_DEFAULTS } from './maf-options.js';

const types = ['upload'] as const;
const detector = createDuplicateUploadDetector();
const uploaders = neighbors({ entity: 'content', of: 'user', types, max: 8 });
const recent = neighbors({ entity: 'app', of: 'content', types, max: 64 });
const HASH = 'f0f0f0f0aaaa5555';
const upload = (hash: string | null = HASH, user: string | null = 'u1') =>
  makeEvent({
    type: 'upload',
    ...(user === null ? {} : { user }),
    ...(hash === null ? {} : { contentHash: hash }),
  });
const run = (values: Parameters<typeof createFakeFeatures>[1], e = upload(), d = detector) =>
  runDetectors([d], e, createFakeFeatures(d.features, values));

describe('maf.duplicate_upload', () => {
  it('stays quiet on new content unlike anything recent', () => {
    const r = run([[recent, ['0f0f0f0f5555aaaa', 'not-a-phash']]]);
    expect(r.signals).toEqual([]);
    expect(r.facets.anomalies).toBeUndefined();
  });

  it('flags exact content uploaded before by another account as RED', () => {
    const r = run([[uploaders, ['u7', 'u1']]]);
    expect(r.facets.anomalies).toEqual(['duplicate_upload']);
    expect(r.signals[0]).toMatchObject({
      code: 'maf.duplicate_upload',
      category: 'pattern',
      evidence: { kind: 'exact', byOtherUser: true, level: 'RED', previousUploaders: ['u7', 'u1'] },
    });
    expect(r.signals[0]!.reason).toContain('another account (u7)');
  });

  it('flags a re-upload by the same account (or an unknown one) as YELLOW', () => {
    expect(run([[uploaders, ['u1']]]).signals[0]!.evidence).toMatchObject({
      byOtherUser: false,
      level: 'YELLOW',
    });
    const anon = run([[uploaders, ['u7']]], upload(HASH, null));
    expect(anon.signals[0]!.evidence['level']).toBe('YELLOW');
  });

  it('flags a near duplicate within 8 bits of a recent upload, reporting the closest', () => {
    // 1 bit and 5 bits away; the exact same hash in `recent` is skipped.
    const r = run([[recent, [HASH, 'f0f0f0f0aaaa55f5', 'f0f0f0f0aaaa5554', 'ffffffffffffffff']]]);
    expect(r.signals).toHaveLength(1);
    expect(r.signals[0]!.evidence).toMatchObject({
      kind: 'near',
      similarTo: 'f0f0f0f0aaaa5554',
      distance: 1,
      level: 'YELLOW',
    });
  });

  it('includes the 8-bit boundary and not 9 bits, non-hex hashes, or when disabled', () => {
    expect(run([[recent, ['f0f0f0f0aaaa55aa']]]).signals[0]!.evidence['distance']).toBe(8);
    expect(run([[recent, ['f0f0f0f0aaaa54aa']]]).signals).toEqual([]);
    const nonHex = run([[recent, ['zzzz']]], upload('sha256:abcdef'));
    expect(nonHex.signals).toEqual([]);
    const off = createDuplicateUploadDetector({
      ...MAF_DEFAULTS,
      duplicateUpload: { ...MAF_DEFAULTS.duplicateUpload, maxDistance: 0 },
    });
    expect(run([[recent, ['f0f0f0f0aaaa5554']]], upload(), off).signals).toEqual([]);
  });

  it('ignores uploads without a content hash', () => {
    expect(run([[uploaders, ['u7']]], upload(null)).signals).toEqual([]);
  });
});
