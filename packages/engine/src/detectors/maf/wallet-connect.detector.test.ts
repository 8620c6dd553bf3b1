import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, count, distinct } from '../../features/feature-spec.js';
import { createFakeFeatures, makeEvent, runDetectors } from '../testing/fake-features.js';
import { createWalletConnectDetector } from './wallet-connect.detector.js';

const types = ['wallet_connect'] as const;
const detector = createWalletConnectDetector();
const userConnects = count({ entity: 'user', types, window: 10 * MINUTE });
const deviceConnects = count({ entity: 'device', types, window: 10 * MINUTE });
const userWallets = distinct({ entity: 'user', of: 'wallet', types, window: HOUR });
const deviceWallets = distinct({ entity: 'device', of: 'wallet', types, window: HOUR });
const connect = makeEvent({ type: 'wallet_connect', user: 'u1', device: 'd1', wallet: '0xabc' });

function run(values: Parameters<typeof createFakeFeatures>[1], e = connect) {
  return runDetectors([detector], e, createFakeFeatures(detector.features, values));
}

describe('maf.wallet_connect', () => {
  it('stays quiet on normal wallet use', () => {
    expect(
      run([
        [userConnects, 1],
        [userWallets, 1],
        [deviceConnects, 1],
        [deviceWallets, 1],
      ]).signals,
    ).toEqual([]);
  });

  it('is YELLOW at 3 and RED at 5 connects in 10 minutes', () => {
    const y = run([[userConnects, 3]]);
    expect(y.facets.anomalies).toEqual(['rapid_wallet_connections']);
    expect(y.signals[0]).toMatchObject({ category: 'velocity', evidence: { connects: 3, level: 'YELLOW' } });
    expect(run([[userConnects, 5]]).signals[0]!.evidence['level']).toBe('RED');
  });

  it('flags many distinct wallets even when the connects are spread out', () => {
    const r = run([
      [userConnects, 1],
      [userWallets, 5],
    ]);
    expect(r.signals[0]!.evidence).toMatchObject({ wallets: 5, level: 'RED' });
  });

  it('catches one device cycling accounts, and anonymous connects by device', () => {
    expect(
      run([
        [userConnects, 1],
        [deviceConnects, 4],
      ]).signals[0]!.evidence['level'],
    ).toBe('YELLOW');
    const anon = makeEvent({ type: 'wallet_connect', device: 'd1', wallet: '0xdef' });
    const r = run(
      [
        [userConnects, 9],
        [deviceWallets, 3],
      ],
      anon,
    );
    // The user count is not read for an event without a user.
    expect(r.signals[0]!.evidence).toMatchObject({ connects: 0, wallets: 3, level: 'YELLOW', device: 'd1' });
    expect(r.signals[0]!.evidence['user']).toBeUndefined();
  });

  it('ignores connects with neither user nor device', () => {
    expect(run([[userConnects, 9]], makeEvent({ type: 'wallet_connect', wallet: '0x1' })).signals).toEqual(
      [],
    );
  });
});
