import { describe, expect, it } from 'vitest';
import type { Geo, VigilEvent } from '../../events/event.js';
import { DAY, HOUR, MINUTE, SECOND } from '../../features/feature-spec.js';
import { compilePlan } from '../../features/feature-store.js';
import { createMemoryFeatureStore } from '../../features/memory-store.js';
import {
  ACCOUNT_TAKEOVER_DEFAULTS,
  accountTakeoverFeatures,
  createAccountTakeoverDetector,
} from './account-takeover.detector.js';
import { T0, createFakeFeatures, runDetector, testEvent } from '../testing/fake-features.js';
import { createShieldDetectors } from './index.js';

const d = createAccountTakeoverDetector(ACCOUNT_TAKEOVER_DEFAULTS);
const f = accountTakeoverFeatures(ACCOUNT_TAKEOVER_DEFAULTS);
const codes = (e: VigilEvent, fake: ReturnType<typeof createFakeFeatures>) =>
  runDetector(d, e, fake).map((s) => s.code);

/** An account seen for 40 days; the device and the IP appeared 5 minutes ago. */
function takenOver() {
  return createFakeFeatures(d.features)
    .set(f.userFirst, T0 - 40 * DAY)
    .set(f.deviceFirst, T0 - 5 * MINUTE)
    .set(f.ipFirst, T0 - 5 * MINUTE)
    .set(f.deviceLogins, 1);
}
const session = { user: 'alice', device: 'new-phone', ip: '102.89.32.10' };
const withdrawal = testEvent({
  type: 'withdrawal',
  ...session,
  wallet: 'w-alice',
  counterparty: 'drop',
  amount: 1500,
});

describe('account-takeover detector', () => {
  it('declares first-seen times of account, device, IP and recipient, and the device logins', () => {
    expect(d.id).toBe('shield.account_takeover');
    expect(d.appliesTo).toEqual(['login', 'transfer', 'withdrawal']);
    expect(f.deviceFirst).toMatchObject({ kind: 'first', entity: 'device' });
    expect(f.recipientFirst).toMatchObject({ kind: 'first', entity: 'counterparty' });
    expect(f.deviceLogins).toMatchObject({ kind: 'count', entity: 'device', types: ['login'], window: HOUR });
    // The account's first-seen time is the velocity spike's spec: shared state.
    expect(f.userFirst.key).toBe('first|user|*|');
  });

  it('flags a withdrawal to a never-paid address from a new device and IP on an established account', () => {
    const [s, ...rest] = runDetector(d, withdrawal, takenOver());
    expect(rest).toEqual([]);
    expect(s).toMatchObject({
      code: 'shield.account_takeover.new_device_cashout',
      score: 0.8,
      severity: 'critical',
      category: 'identity',
    });
    expect(s?.evidence).toMatchObject({
      recipient: 'drop',
      amount: 1500,
      recipientAgeMinutes: 0,
      deviceAgeMinutes: 5,
      ipAgeMinutes: 5,
      accountLeadMinutes: 40 * 24 * 60 - 5,
    });
    expect(s?.reason).toMatch(/^Withdrawal from account alice to drop, an address first paid 0 min ago/);
    // The same drop wallet paid by a transfer two minutes earlier is still new.
    const transfer = { ...withdrawal, type: 'transfer' as const };
    expect(codes(transfer, takenOver().set(f.recipientFirst, T0 - 2 * MINUTE))).toEqual([
      'shield.account_takeover.new_device_cashout',
    ]);
  });

  it('flags another login attempt from the new device and IP', () => {
    const login = testEvent({ type: 'login', ...session, attrs: { status: 'success' } });
    expect(codes(login, takenOver())).toEqual([]);
    const [s] = runDetector(d, login, takenOver().set(f.deviceLogins, 3));
    expect(s).toMatchObject({
      code: 'shield.account_takeover.new_device_login_retry',
      score: 0.6,
      evidence: { attempts: 3, deviceAgeMinutes: 5 },
    });
    expect(s?.reason).toMatch(/^Login attempt 3 within the hour to account alice/);
  });

  it('stays quiet on a known device, a known network or a known recipient', () => {
    expect(codes(withdrawal, takenOver().set(f.deviceFirst, T0 - 3 * DAY))).toEqual([]);
    // The user's own new phone on their home Wi-Fi: the IP is months old.
    expect(codes(withdrawal, takenOver().set(f.ipFirst, T0 - 90 * DAY))).toEqual([]);
    // Paying the usual cash-out wallet.
    expect(codes(withdrawal, takenOver().set(f.recipientFirst, T0 - 20 * DAY))).toEqual([]);
  });

  it('stays quiet on a new account, whose first device is as new as the account', () => {
    // First event of the account.
    expect(codes(withdrawal, takenOver().set(f.userFirst, undefined))).toEqual([]);
    // An account created on this device five minutes ago.
    expect(codes(withdrawal, takenOver().set(f.userFirst, T0 - 5 * MINUTE))).toEqual([]);
    // An account first seen 20 hours before the device: not yet established.
    expect(codes(withdrawal, takenOver().set(f.userFirst, T0 - 20 * HOUR))).toEqual([]);
    expect(codes(withdrawal, takenOver().set(f.userFirst, T0 - 25 * HOUR))).toEqual([
      'shield.account_takeover.new_device_cashout',
    ]);
  });

  it('treats a device first seen on this very event as new, and needs user, device and IP', () => {
    const fresh = takenOver().set(f.deviceFirst, undefined).set(f.ipFirst, undefined);
    expect(codes(withdrawal, fresh)).toEqual(['shield.account_takeover.new_device_cashout']);
    const { ip: _ip, ...noIp } = withdrawal;
    expect(codes(noIp, fresh)).toEqual([]);
    const { counterparty: _c, ...noRecipient } = withdrawal;
    expect(codes(noRecipient, fresh)).toEqual([]);
    expect(codes(testEvent({ type: 'payment', ...session, amount: 5 }), fresh)).toEqual([]);
  });

  it('judges a device first seen slightly after the event (out of order) as new, not a year old', () => {
    expect(codes(withdrawal, takenOver().set(f.deviceFirst, T0 + 30 * SECOND))).toEqual([
      'shield.account_takeover.new_device_cashout',
    ]);
  });
});

describe('account takeover through the in-memory feature store', () => {
  const LONDON: Geo = { lat: 51.5074, lon: -0.1278, country: 'GB' };
  const LAGOS: Geo = { lat: 6.5244, lon: 3.3792, country: 'NG' };
  const START = Date.UTC(2026, 0, 5);

  function createShield() {
    const detectors = createShieldDetectors();
    const plan = compilePlan(detectors.flatMap((x) => x.features));
    const store = createMemoryFeatureStore();
    let seq = 0;
    return (fields: Partial<VigilEvent> & Pick<VigilEvent, 'type' | 'at'>): string[] => {
      const e: VigilEvent = { id: `e${++seq}`, app: 'bank', ...fields };
      const snap = store.evaluate(plan, e);
      return detectors.flatMap((x) => runDetector(x, e, snap)).map((s) => s.code);
    };
  }

  it('carries the takeover from the first login to the retries and the cash-out', () => {
    const send = createShield();
    const alice = { user: 'alice', device: 'laptop', ip: '81.2.69.160', geo: LONDON, wallet: 'w-alice' };
    // Ten days at home: logins, and withdrawals to her own cash-out wallet.
    for (let day = 0; day < 10; day++) {
      const t = START + day * DAY + 9 * HOUR;
      send({ ...alice, type: 'login', at: t });
      send({ ...alice, type: 'withdrawal', at: t + 10 * MINUTE, counterparty: 'w-alice-bank', amount: 120 });
    }
    const t0 = START + 10 * DAY + 9 * HOUR;
    expect(send({ ...alice, type: 'login', at: t0 })).toEqual([]);
    const attacker = { user: 'alice', device: 'burner', ip: '102.89.32.10', geo: LAGOS, wallet: 'w-alice' };
    const first = send({ ...attacker, type: 'login', at: t0 + 12 * MINUTE, attrs: { status: 'failed' } });
    expect(first).toContain('shield.impossible_travel.speed');
    expect(first).not.toContain('shield.account_takeover.new_device_login_retry');
    // Impossible travel sees nothing new now: the account's last place is Lagos.
    const retry = send({ ...attacker, type: 'login', at: t0 + 13 * MINUTE, attrs: { status: 'success' } });
    expect(retry).toEqual(['shield.account_takeover.new_device_login_retry']);
    const transfer = send({
      ...attacker,
      type: 'transfer',
      at: t0 + 15 * MINUTE,
      counterparty: 'drop',
      amount: 400,
    });
    expect(transfer).toEqual(['shield.account_takeover.new_device_cashout']);
    const cashOut = send({
      ...attacker,
      type: 'withdrawal',
      at: t0 + 20 * MINUTE,
      counterparty: 'drop',
      amount: 1500,
    });
    expect(cashOut).toEqual(['shield.account_takeover.new_device_cashout']);
    // Two hours later the device and IP are no longer new: the rule does not linger.
    expect(
      send({ ...attacker, type: 'withdrawal', at: t0 + 3 * HOUR, counterparty: 'drop2', amount: 10 }),
    ).toEqual([]);
  });

  it('stays quiet for a user who buys a phone at home, and for a new user on a new device', () => {
    const send = createShield();
    const bob = { user: 'bob', device: 'old-phone', ip: '81.2.69.20', geo: LONDON, wallet: 'w-bob' };
    for (let day = 0; day < 5; day++) send({ ...bob, type: 'login', at: START + day * DAY + 8 * HOUR });
    const t = START + 5 * DAY + 8 * HOUR;
    const phone = { ...bob, device: 'new-phone' };
    expect(send({ ...phone, type: 'login', at: t })).toEqual([]);
    expect(send({ ...phone, type: 'login', at: t + MINUTE })).toEqual([]);
    expect(
      send({ ...phone, type: 'transfer', at: t + 2 * MINUTE, counterparty: 'w-friend', amount: 30 }),
    ).toEqual([]);
    const carol = { user: 'carol', device: 'c-phone', ip: '81.2.69.99', geo: LONDON, wallet: 'w-carol' };
    send({ ...carol, type: 'signup', at: t });
    expect(send({ ...carol, type: 'login', at: t + MINUTE })).toEqual([]);
    expect(send({ ...carol, type: 'transfer', at: t + 2 * MINUTE, counterparty: 'w-x', amount: 30 })).toEqual(
      [],
    );
  });
});
