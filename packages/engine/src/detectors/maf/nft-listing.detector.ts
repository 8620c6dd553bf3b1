import { count } from '../../features/feature-spec.js';
import { formatDuration } from '../behavior/format-duration.js';
import type { Detector } from '../detector.js';
import { levelOf, reportFinding } from './maf-finding.js';
import { MAF_DEFAULTS, type MafOptions } from './maf-options.js';

/**
 * `maf.nft_listing` (MAF pattern 4): rapid NFT listings. On `nft_listing` events, counts
 * listings in `window` (10 min) per user and per wallet, taking the larger: YELLOW at 10, RED
 * at 25 by default. Writes `rapid_nft_listings`.
 * @example createNftListingDetector().appliesTo; // ['nft_listing']
 */
export function createNftListingDetector(opts: MafOptions = MAF_DEFAULTS): Detector {
  const o = opts.nftListing;
  const types = ['nft_listing'] as const;
  const byUser = count({ entity: 'user', types, window: o.window });
  const byWallet = count({ entity: 'wallet', types, window: o.window });
  const span = formatDuration(o.window);
  return {
    id: 'maf.nft_listing',
    features: [byUser, byWallet],
    appliesTo: ['nft_listing'],
    detect(ctx, out) {
      const e = ctx.event;
      if (e.user === undefined && e.wallet === undefined) return;
      const f = ctx.features;
      const listings = Math.max(
        e.user === undefined ? 0 : f.get(byUser),
        e.wallet === undefined ? 0 : f.get(byWallet),
      );
      const level = levelOf(listings, o.yellowAt, o.redAt);
      if (level === undefined) return;
      reportFinding(out, {
        anomaly: 'rapid_nft_listings',
        level,
        category: 'velocity',
        reason: `${listings} NFT listings in ${span} (${level} at ${level === 'RED' ? o.redAt : o.yellowAt}).`,
        evidence: {
          listings,
          window: o.window,
          ...(e.user === undefined ? {} : { user: e.user }),
          ...(e.wallet === undefined ? {} : { wallet: e.wallet }),
        },
      });
    },
  };
}
