import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../../events/event.js';
import { DAY, MINUTE } from '../../features/feature-spec.js';
import { createFakeFeatures, runDetector, testEvent, type FakeFeatures } from '../testing/fake-features.js';
import {
  PAYMENT_RISK_DEFAULTS,
  createPaymentRiskDetector,
  paymentRiskFeatures,
} from './payment-risk.detector.js';

const d = createPaymentRiskDetector(PAYMENT_RISK_DEFAULTS);
const f = paymentRiskFeatures(PAYMENT_RISK_DEFAULTS);
const fresh = (): FakeFeatures => createFakeFeatures(d.features);
const codes = (e: VigilEvent, fake: FakeFeatures) => runDetector(d, e, fake).map((s) => s.code);
const payment = (fields: Partial<VigilEvent> = {}) =>
  testEvent({ type: 'payment', user: 'u1', amount: 50, device: 'dev-1', wallet: 'card-1', ...fields });

describe('payment-risk detector', () => {
  it('declares chargeback, payment, instrument and attempt features', () => {
    expect(d.features).toHaveLength(12);
    expect(new Set(d.features.map((s) => s.key)).size).toBe(12);
    expect(f.userChargebacks).toMatchObject({
      kind: 'count',
      entity: 'user',
      types: ['chargeback'],
      window: 90 * DAY,
    });
    expect(f.merchantPayments).toMatchObject({
      kind: 'count',
      entity: 'merchant',
      types: ['payment'],
      window: 30 * DAY,
    });
    expect(f.instrumentChargebacks).toMatchObject({ entity: 'wallet' });
    expect(f.userInstruments).toMatchObject({
      kind: 'distinct',
      entity: 'user',
      of: 'wallet',
      window: 30 * DAY,
    });
    expect(f.userAttempts).toMatchObject({ kind: 'count', window: 10 * MINUTE });
    expect(d.appliesTo).toEqual(['payment', 'transfer', 'withdrawal', 'chargeback']);
  });

  it('stays quiet for an ordinary paying customer', () => {
    const fake = fresh()
      .set(f.userPayments, 20)
      .set(f.userInstruments, 2)
      .set(f.userDevices, 2)
      .set(f.userAttempts, 1)
      .set(f.merchantPayments, 5000)
      .set(f.merchantChargebacks, 10);
    expect(runDetector(d, payment({ merchant: 'm1' }), fake)).toEqual([]);
    expect(runDetector(d, payment({ attrs: { status: 'declined' } }), fake)).toEqual([]);
  });

  describe('chargeback events', () => {
    it('scores a first chargeback at 60% of 0.9 and a third at 0.9', () => {
      const cb = testEvent({ type: 'chargeback', user: 'u1', amount: 50 });
      const [s, ...rest] = runDetector(d, cb, fresh().set(f.userChargebacks, 1));
      expect(rest).toEqual([]);
      expect(s?.code).toBe('shield.payment_risk.chargeback');
      expect(s?.category).toBe('report');
      expect(s?.score).toBeCloseTo(0.54, 10);
      expect(s?.reason).toBe('Chargeback received for user u1 (1 in the last 90 days); score 0.54.');
      expect(runDetector(d, cb, fresh().set(f.userChargebacks, 3))[0]?.score).toBeCloseTo(0.9, 10);
    });

    it('handles a chargeback without a user', () => {
      const [s] = runDetector(d, testEvent({ type: 'chargeback' }), fresh());
      expect(s?.score).toBeCloseTo(0.54, 10);
      expect(s?.reason).toContain('for a payment (1 in');
    });
  });

  it('fires on a withdrawal by a user whose chargeback ratio is high', () => {
    const fake = fresh().set(f.userChargebacks, 2).set(f.userPayments, 5);
    const e = testEvent({ type: 'withdrawal', user: 'u1', amount: 500 });
    const [s, ...rest] = runDetector(d, e, fake);
    expect(rest).toEqual([]);
    expect(s?.code).toBe('shield.payment_risk.chargeback_ratio');
    expect(s?.score).toBeCloseTo(0.9 * (0.6 + 0.4 * 0.75), 10);
    expect(s?.evidence).toEqual({ chargebacks: 2, payments: 5, ratio: 0.4 });
    expect(s?.reason).toBe(
      'User u1 has 2 chargebacks against 5 payments in the last 90 days (40%, threshold 10%) and now makes a withdrawal; score 0.81.',
    );
    expect(codes(e, fresh().set(f.userChargebacks, 1).set(f.userPayments, 20))).toEqual([]);
  });

  it('fires when the device or card was charged back for someone else', () => {
    const [s] = runDetector(d, payment(), fresh().set(f.deviceChargebacks, 2));
    expect(s?.code).toBe('shield.payment_risk.linked_chargeback');
    expect(s?.score).toBeCloseTo(0.9 * 0.8 * (0.6 + 0.4 * 0.5), 10);
    expect(s?.reason).toContain('The device dev-1 of this payment has 2 chargebacks');
    const [c] = runDetector(d, payment(), fresh().set(f.instrumentChargebacks, 1));
    expect(c?.reason).toContain('instrument card-1');
    // The user's own chargeback on their own device is the ratio finding, not a linked one.
    const own = fresh().set(f.userChargebacks, 1).set(f.deviceChargebacks, 1).set(f.userPayments, 4);
    expect(codes(payment(), own)).toEqual(['shield.payment_risk.chargeback_ratio']);
  });

  it("flags a merchant's chargeback ratio once it has enough payments", () => {
    const fake = fresh().set(f.merchantPayments, 200).set(f.merchantChargebacks, 4);
    const [s] = runDetector(d, payment({ merchant: 'm9' }), fake);
    expect(s?.code).toBe('shield.payment_risk.merchant_chargebacks');
    expect(s?.score).toBeCloseTo(0.9 * 0.5 * (0.6 + 0.4 * 0.25), 10);
    expect(s?.evidence).toEqual({ merchant: 'm9', chargebacks: 4, payments: 200, ratio: 0.02 });
    expect(
      codes(payment({ merchant: 'm9' }), fresh().set(f.merchantPayments, 50).set(f.merchantChargebacks, 5)),
    ).toEqual([]);
    expect(codes(payment(), fake)).toEqual([]);
  });

  it('flags many instruments or devices per user', () => {
    const [s] = runDetector(d, payment(), fresh().set(f.userInstruments, 4));
    expect(s?.code).toBe('shield.payment_risk.many_instruments');
    expect(s?.score).toBeCloseTo(0.9 * 0.7 * 0.6, 10);
    expect(s?.reason).toContain(
      'used 4 payment instruments and 0 devices in the last 30 days (limits 4 and 5)',
    );
    expect(runDetector(d, payment(), fresh().set(f.userDevices, 10))[0]?.score).toBeCloseTo(0.63, 10);
    expect(codes(payment(), fresh().set(f.userInstruments, 3).set(f.userDevices, 4))).toEqual([]);
  });

  it('flags a failed payment in a burst of attempts (card testing)', () => {
    const failed = payment({ attrs: { status: 'DECLINED' } });
    // Five earlier attempts of 1.50 each, then this one of 50.
    const micro = (n: number) =>
      fresh()
        .set(f.userAttempts, n)
        .set(f.userAttemptSum, 50 + (n - 1) * 1.5);
    const [s] = runDetector(d, failed, micro(6));
    expect(s?.code).toBe('shield.payment_risk.card_testing');
    expect(s?.score).toBeCloseTo(0.9 * 0.9 * (0.6 + 0.4 * 0.1), 10);
    expect(s?.reason).toContain('Payment DECLINED after 6 payment attempts in the last 10 minutes');
    expect(s?.evidence).toMatchObject({ attempts: 6, meanAttemptAmount: 1.5 });
    expect(codes(failed, micro(4))).toEqual([]);
    // Twenty ordinary payments of about 40 in ten minutes, then a success: no card testing.
    const spree = fresh()
      .set(f.userAttempts, 20)
      .set(f.userAttemptSum, 20 * 40);
    expect(codes(payment({ attrs: { status: 'succeeded' } }), spree)).toEqual([]);
    const guest = testEvent({ type: 'payment', device: 'dev-7', attrs: { status: 'failed' } });
    expect(codes(guest, fresh().set(f.deviceAttempts, 15))).toEqual(['shield.payment_risk.card_testing']);
  });

  it('does not call one declined card in a shopping spree card testing', () => {
    const failed = payment({ attrs: { status: 'declined' } });
    // Six payments of about 40 in ten minutes, one declined.
    expect(
      codes(
        failed,
        fresh()
          .set(f.userAttempts, 6)
          .set(f.userAttemptSum, 6 * 40),
      ),
    ).toEqual([]);
    // Fifteen of them with a decline is a burst no shopper makes.
    const many = runDetector(
      d,
      failed,
      fresh()
        .set(f.userAttempts, 15)
        .set(f.userAttemptSum, 15 * 40),
    );
    expect(many.map((x) => x.code)).toEqual(['shield.payment_risk.card_testing']);
    expect(many[0]?.evidence['meanAttemptAmount']).toBeNull();
    expect(many[0]?.reason).toContain('(at least 15 with a failure)');
  });

  it('flags any payment after a burst of tiny charges, the approved cash-out included', () => {
    // Twelve attempts of about 1 on the device, then an approved 600.
    const cashOut = payment({ amount: 600, attrs: { status: 'approved' } });
    const burst = fresh()
      .set(f.deviceAttempts, 13)
      .set(f.deviceAttemptSum, 600 + 12 * 1.1);
    const [s] = runDetector(d, cashOut, burst);
    expect(s?.code).toBe('shield.payment_risk.card_testing');
    expect(s?.evidence).toMatchObject({ attempts: 13, meanAttemptAmount: 1.1, status: 'approved' });
    expect(s?.reason).toContain('Payment (approved) after 13 payment attempts');
    // The first payment of a burst has no earlier attempts to judge.
    expect(codes(cashOut, fresh().set(f.deviceAttempts, 1).set(f.deviceAttemptSum, 600))).toEqual([]);
  });

  it('reads no feature of an entity the event lacks', () => {
    const fake = fresh()
      .set(f.userChargebacks, 5)
      .set(f.deviceChargebacks, 5)
      .set(f.instrumentChargebacks, 5)
      .set(f.userInstruments, 9)
      .set(f.userDevices, 9);
    expect(runDetector(d, testEvent({ type: 'transfer', amount: 5 }), fake)).toEqual([]);
  });
});
