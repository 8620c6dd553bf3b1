import { describe, expect, it } from 'vitest';
import { MINUTE, count } from '../../features/feature-spec.js';
import { createFakeFeatures, makeEvent, runDetectors } from '../testing/fake-features.js';
import { createNftListingDetector } from './nft-listing.detector.js';

const types = ['nft_listing'] as const;
const detector = createNftListingDetector();
const byUser = count({ entity: 'user', types, window: 10 * MINUTE });
const byWallet = count({ entity: 'wallet', types, window: 10 * MINUTE });
const listing = makeEvent({ type: 'nft_listing', user: 'u1', wallet: '0xabc' });
const run = (values: Parameters<typeof createFakeFeatures>[1], e = listing) =>
  runDetectors([detector], e, createFakeFeatures(detector.features, values));

describe('maf.nft_listing', () => {
  it('stays quiet below 10 listings in 10 minutes', () => {
    expect(
      run([
        [byUser, 9],
        [byWallet, 9],
      ]).signals,
    ).toEqual([]);
  });

  it('is YELLOW at 10 and RED at 25, per user or per wallet', () => {
    expect(run([[byUser, 10]]).signals[0]).toMatchObject({
      code: 'maf.rapid_nft_listings',
      category: 'velocity',
      evidence: { listings: 10, level: 'YELLOW', user: 'u1', wallet: '0xabc' },
    });
    expect(
      run([
        [byUser, 2],
        [byWallet, 30],
      ]).signals[0]!.evidence['level'],
    ).toBe('RED');
  });

  it('works for wallet-only events and ignores events with neither', () => {
    const walletOnly = makeEvent({ type: 'nft_listing', wallet: '0xabc' });
    expect(run([[byWallet, 12]], walletOnly).facets.anomalies).toEqual(['rapid_nft_listings']);
    expect(run([[byWallet, 99]], makeEvent({ type: 'nft_listing' })).signals).toEqual([]);
  });
});
