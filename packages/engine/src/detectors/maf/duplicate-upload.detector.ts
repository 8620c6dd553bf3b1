import { neighbors } from '../../features/feature-spec.js';
import type { Detector } from '../detector.js';
import { reportFinding } from './maf-finding.js';
import { MAF_DEFAULTS, type MafOptions } from './maf-options.js';
import { popcount32, readHex64 } from './perceptual-hash.js';

/** How many earlier uploaders of one exact content hash are remembered. */
const UPLOADERS_KEPT = 8;

/**
 * `maf.duplicate_upload` (MAF pattern 6): duplicate meme upload, on `upload` events with a
 * `contentHash`.
 * - Exact: the hash was uploaded before (the content's earlier uploaders, all history, newest
 *   first): by another user → `otherUserLevel` (RED: reposting someone else's meme), only by
 *   this user (or the uploader is unknown) → `sameUserLevel` (YELLOW).
 * - Near: for a 64-bit hex perceptual hash, the smallest Hamming distance to the app's
 *   `recent` (64) most recent distinct upload hashes; ≤ `maxDistance` (8) bits → `nearLevel`
 *   (YELLOW). Non-hex hashes only get the exact check.
 *
 * Writes `duplicate_upload`; evidence `kind` is `exact` or `near`.
 * @example createDuplicateUploadDetector().appliesTo; // ['upload']
 */
export function createDuplicateUploadDetector(opts: MafOptions = MAF_DEFAULTS): Detector {
  const o = opts.duplicateUpload;
  const types = ['upload'] as const;
  const uploaders = neighbors({ entity: 'content', of: 'user', types, max: UPLOADERS_KEPT });
  const recent = neighbors({ entity: 'app', of: 'content', types, max: o.recent });
  const halves = new Uint32Array(4);
  return {
    id: 'maf.duplicate_upload',
    features: [uploaders, recent],
    appliesTo: ['upload'],
    detect(ctx, out) {
      const e = ctx.event;
      const hash = e.contentHash;
      if (hash === undefined) return;
      const f = ctx.features;
      const before = f.get(uploaders);
      if (before.length > 0) {
        let other: string | undefined;
        if (e.user !== undefined) {
          for (const u of before) {
            if (u !== e.user) {
              other = u;
              break;
            }
          }
        }
        const level = other === undefined ? o.sameUserLevel : o.otherUserLevel;
        reportFinding(out, {
          anomaly: 'duplicate_upload',
          level,
          category: 'pattern',
          reason:
            other === undefined
              ? 'This exact content was uploaded before by the same account.'
              : `This exact content was uploaded before by another account (${other}).`,
          evidence: {
            kind: 'exact',
            contentHash: hash,
            previousUploaders: before.slice(0, UPLOADERS_KEPT),
            byOtherUser: other !== undefined,
          },
        });
        return;
      }
      if (o.maxDistance <= 0 || !readHex64(hash, halves, 0)) return;
      const hi = halves[0] ?? 0;
      const lo = halves[1] ?? 0;
      let best = 65;
      let match: string | undefined;
      for (const other of f.get(recent)) {
        if (other === hash || !readHex64(other, halves, 2)) continue;
        const d = popcount32(hi ^ (halves[2] ?? 0)) + popcount32(lo ^ (halves[3] ?? 0));
        if (d < best) {
          best = d;
          match = other;
        }
      }
      if (match === undefined || best > o.maxDistance) return;
      reportFinding(out, {
        anomaly: 'duplicate_upload',
        level: o.nearLevel,
        category: 'pattern',
        reason: `This upload is a near duplicate of a recent upload (${best} of 64 perceptual-hash bits differ, at most ${o.maxDistance} allowed).`,
        evidence: { kind: 'near', contentHash: hash, similarTo: match, distance: best },
      });
    },
  };
}
