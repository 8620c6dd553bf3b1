import Type from 'typebox';
import { SIGNAL_EVENT_IMPACTS } from '../../events/event-types.js';
import {
  DAY,
  MINUTE,
  count,
  distinct,
  sum,
  type CountSpec,
  type DistinctSpec,
  type SumSpec,
} from '../../features/feature-spec.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { optCount, optDuration, optEnabled, optPositive, optStrings, optUnit } from './shield-options.js';
import { attrString, formatPeriod, graded, pushSignal, ramp, round } from './shield-signal.js';

/** Options of the payment-risk detector. */
export interface PaymentRiskOptions {
  /** Run this detector. */
  readonly enabled: boolean;
  /** Score when a finding saturates (spec base impact of chargeback_signal / payment_risk). */
  readonly impact: number;
  /** Window for chargebacks and payments of a user, device and instrument (wallet / card id). */
  readonly chargebackWindowMs: number;
  /** A user's chargebacks over payments in the window that fires. */
  readonly userChargebackRatio: number;
  /** Window for a merchant's chargeback ratio. */
  readonly merchantWindowMs: number;
  /** Payments a merchant needs in its window before its ratio is judged. */
  readonly merchantMinPayments: number;
  /** A merchant's chargebacks over payments that fires (card schemes act near 1%). */
  readonly merchantChargebackRatio: number;
  /** Window for distinct instruments and devices per user. */
  readonly instrumentWindowMs: number;
  /** Distinct instruments (`wallet`: wallet address or card fingerprint) per user that fire. */
  readonly maxInstruments: number;
  /** Distinct devices per user that fire. */
  readonly maxDevices: number;
  /** Window for payment attempts (card testing). */
  readonly attemptWindowMs: number;
  /** Payment attempts by one user or device in the window that, with a failed one, fire. */
  readonly cardTestingAttempts: number;
  /**
   * Card testers validate stolen cards with tiny charges. A burst whose earlier attempts average
   * at most this amount is card testing on any payment (approved or not, the cash-out included);
   * a burst of ordinary amounts needs a failure and three times `cardTestingAttempts`, since one
   * declined card in a shopping spree is not card testing.
   */
  readonly microAmountMax: number;
  /** `attrs.status` values (lower case) that mean the payment failed. */
  readonly failedStatuses: readonly string[];
}

/** Defaults: chargeback ratio ≥ 10% per user over 90 days, ≥ 1% per merchant over 30 days, ≥ 4 instruments or ≥ 5 devices in 30 days, ≥ 5 attempts in 10 min with a failure. @example PAYMENT_RISK_DEFAULTS.maxInstruments; // 4 */
export const PAYMENT_RISK_DEFAULTS: PaymentRiskOptions = Object.freeze({
  enabled: true,
  impact: SIGNAL_EVENT_IMPACTS.chargeback_signal,
  chargebackWindowMs: 90 * DAY,
  userChargebackRatio: 0.1,
  merchantWindowMs: 30 * DAY,
  merchantMinPayments: 100,
  merchantChargebackRatio: 0.01,
  instrumentWindowMs: 30 * DAY,
  maxInstruments: 4,
  maxDevices: 5,
  attemptWindowMs: 10 * MINUTE,
  cardTestingAttempts: 5,
  microAmountMax: 5,
  failedStatuses: Object.freeze(['failed', 'declined']),
});

/** Schema of {@link PaymentRiskOptions} (every field optional). @example Compile(PaymentRiskOptionsSchema).Check({ maxDevices: 8 }) */
export const PaymentRiskOptionsSchema = Type.Object(
  {
    enabled: optEnabled(),
    impact: optUnit('Score when a finding saturates (default 0.9)'),
    chargebackWindowMs: optDuration('Window for user, device and instrument chargebacks (default 90 days)'),
    userChargebackRatio: optUnit("User's chargebacks over payments that fires (default 0.1)"),
    merchantWindowMs: optDuration("Window for a merchant's chargeback ratio (default 30 days)"),
    merchantMinPayments: optCount('Payments a merchant needs before its ratio counts (default 100)'),
    merchantChargebackRatio: optUnit("Merchant's chargebacks over payments that fires (default 0.01)"),
    instrumentWindowMs: optDuration('Window for instruments and devices per user (default 30 days)'),
    maxInstruments: optCount('Distinct instruments (wallet / card id) per user that fire (default 4)'),
    maxDevices: optCount('Distinct devices per user that fire (default 5)'),
    attemptWindowMs: optDuration('Window for payment attempts (default 10 minutes)'),
    cardTestingAttempts: optCount('Attempts in the window that, with a failure, fire (default 5)'),
    microAmountMax: optPositive('Mean attempt amount of a card-testing burst of tiny charges (default 5)'),
    failedStatuses: optStrings("attrs.status values meaning failure (default 'failed', 'declined')"),
  },
  { additionalProperties: false },
);

/** The features the payment-risk detector reads. */
export interface PaymentRiskFeatures {
  readonly userChargebacks: CountSpec;
  readonly userPayments: CountSpec;
  readonly deviceChargebacks: CountSpec;
  readonly instrumentChargebacks: CountSpec;
  readonly merchantChargebacks: CountSpec;
  readonly merchantPayments: CountSpec;
  readonly userInstruments: DistinctSpec;
  readonly userDevices: DistinctSpec;
  readonly userAttempts: CountSpec;
  readonly deviceAttempts: CountSpec;
  /** Amounts of the user's and the device's payment attempts in the attempt window (this one included). */
  readonly userAttemptSum: SumSpec;
  readonly deviceAttemptSum: SumSpec;
}

/** @example paymentRiskFeatures(PAYMENT_RISK_DEFAULTS).userChargebacks.types; // ['chargeback'] */
export function paymentRiskFeatures(opts: PaymentRiskOptions): PaymentRiskFeatures {
  const cb = { types: ['chargeback'] as const, window: opts.chargebackWindowMs };
  const pay = { types: ['payment'] as const };
  return {
    userChargebacks: count({ entity: 'user', ...cb }),
    userPayments: count({ entity: 'user', ...pay, window: opts.chargebackWindowMs }),
    deviceChargebacks: count({ entity: 'device', ...cb }),
    instrumentChargebacks: count({ entity: 'wallet', ...cb }),
    merchantChargebacks: count({ entity: 'merchant', types: ['chargeback'], window: opts.merchantWindowMs }),
    merchantPayments: count({ entity: 'merchant', ...pay, window: opts.merchantWindowMs }),
    userInstruments: distinct({ entity: 'user', of: 'wallet', window: opts.instrumentWindowMs }),
    userDevices: distinct({ entity: 'user', of: 'device', window: opts.instrumentWindowMs }),
    userAttempts: count({ entity: 'user', ...pay, window: opts.attemptWindowMs }),
    deviceAttempts: count({ entity: 'device', ...pay, window: opts.attemptWindowMs }),
    userAttemptSum: sum({ entity: 'user', ...pay, field: 'amount', window: opts.attemptWindowMs }),
    deviceAttemptSum: sum({ entity: 'device', ...pay, field: 'amount', window: opts.attemptWindowMs }),
  };
}

/** How much of the impact each finding can reach: a merchant's record says less about this user. */
const WEIGHT = {
  chargeback: 1,
  ratio: 1,
  linked: 0.8,
  cardTesting: 0.9,
  instruments: 0.7,
  merchant: 0.5,
} as const;

/**
 * Payment risk (spec proactive rule 5): a chargeback event (`shield.payment_risk.chargeback`);
 * on payments, transfers and withdrawals a user's chargeback ratio (`.chargeback_ratio`), a
 * device or instrument charged back beyond the user's own chargebacks (`.linked_chargeback`),
 * a merchant's chargeback ratio (`.merchant_chargebacks`), many instruments or devices per user
 * (`.many_instruments`), and card testing (`.card_testing`): a payment in a burst of attempts by
 * one user or device whose earlier attempts are tiny charges, or a failed payment in a burst of
 * three times as many ordinary ones.
 * Category `report`.
 * @example const d = createPaymentRiskDetector(PAYMENT_RISK_DEFAULTS); // withdrawal by a user with 2 chargebacks in 5 payments -> fires
 */
export function createPaymentRiskDetector(opts: PaymentRiskOptions): Detector {
  const f = paymentRiskFeatures(opts);
  const failed = new Set(opts.failedStatuses.map((s) => s.toLowerCase()));
  const cbWindow = formatPeriod(opts.chargebackWindowMs);
  const merchantWindow = formatPeriod(opts.merchantWindowMs);
  const instrumentWindow = formatPeriod(opts.instrumentWindowMs);
  const attemptWindow = formatPeriod(opts.attemptWindowMs);
  const impact = opts.impact;
  return {
    id: 'shield.payment_risk',
    features: [
      f.userChargebacks,
      f.userPayments,
      f.deviceChargebacks,
      f.instrumentChargebacks,
      f.merchantChargebacks,
      f.merchantPayments,
      f.userInstruments,
      f.userDevices,
      f.userAttempts,
      f.deviceAttempts,
      f.userAttemptSum,
      f.deviceAttemptSum,
    ],
    appliesTo: ['payment', 'transfer', 'withdrawal', 'chargeback'],
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      const fs = ctx.features;
      const user = e.user;
      const userCb = user === undefined ? 0 : fs.get(f.userChargebacks);

      if (e.type === 'chargeback') {
        const n = Math.max(1, userCb);
        const score = graded(impact * WEIGHT.chargeback, ramp(n, 1, 3));
        const who = user === undefined ? 'a payment' : `user ${user}`;
        pushSignal(
          out,
          'shield.payment_risk.chargeback',
          score,
          'report',
          `Chargeback received for ${who} (${n} in the last ${cbWindow}); score ${round(score, 2)}.`,
          { chargebacks: n, ...(user === undefined ? {} : { user }) },
        );
        return;
      }

      if (user !== undefined && userCb >= 1) {
        const payments = fs.get(f.userPayments);
        const ratio = userCb / Math.max(payments, 1);
        if (ratio >= opts.userChargebackRatio) {
          const score = graded(impact * WEIGHT.ratio, ramp(ratio, opts.userChargebackRatio, 0.5));
          pushSignal(
            out,
            'shield.payment_risk.chargeback_ratio',
            score,
            'report',
            `User ${user} has ${userCb} chargebacks against ${payments} payments in the last ${cbWindow} ` +
              `(${round(ratio * 100, 1)}%, threshold ${round(opts.userChargebackRatio * 100, 1)}%) and now makes a ${e.type}; score ${round(score, 2)}.`,
            { chargebacks: userCb, payments, ratio: round(ratio, 4) },
          );
        }
      }

      const devCb = e.device === undefined ? 0 : fs.get(f.deviceChargebacks);
      const instCb = e.wallet === undefined ? 0 : fs.get(f.instrumentChargebacks);
      const linked = Math.max(devCb, instCb);
      // Chargebacks on the device or instrument beyond the user's own belong to other accounts.
      if (linked >= 1 && linked > userCb) {
        const score = graded(impact * WEIGHT.linked, ramp(linked, 1, 3));
        const what = devCb >= instCb ? `device ${e.device ?? ''}` : `instrument ${e.wallet ?? ''}`;
        pushSignal(
          out,
          'shield.payment_risk.linked_chargeback',
          score,
          'report',
          `The ${what} of this ${e.type} has ${linked} chargebacks in the last ${cbWindow}, ` +
            `more than the user's own ${userCb}; score ${round(score, 2)}.`,
          { deviceChargebacks: devCb, instrumentChargebacks: instCb, userChargebacks: userCb },
        );
      }

      if (e.merchant !== undefined) {
        const payments = fs.get(f.merchantPayments);
        if (payments >= opts.merchantMinPayments) {
          const cbs = fs.get(f.merchantChargebacks);
          const ratio = cbs / payments;
          if (ratio >= opts.merchantChargebackRatio) {
            const score = graded(
              impact * WEIGHT.merchant,
              ramp(ratio, opts.merchantChargebackRatio, opts.merchantChargebackRatio * 5),
            );
            pushSignal(
              out,
              'shield.payment_risk.merchant_chargebacks',
              score,
              'report',
              `Merchant ${e.merchant} has ${cbs} chargebacks against ${payments} payments in the last ${merchantWindow} ` +
                `(${round(ratio * 100, 2)}%, threshold ${round(opts.merchantChargebackRatio * 100, 2)}%); score ${round(score, 2)}.`,
              { merchant: e.merchant, chargebacks: cbs, payments, ratio: round(ratio, 4) },
            );
          }
        }
      }

      if (user !== undefined) {
        const instruments = e.wallet === undefined ? 0 : fs.get(f.userInstruments);
        const devices = e.device === undefined ? 0 : fs.get(f.userDevices);
        const over = Math.max(instruments / opts.maxInstruments, devices / opts.maxDevices);
        if (over >= 1) {
          const score = graded(impact * WEIGHT.instruments, ramp(over, 1, 2));
          pushSignal(
            out,
            'shield.payment_risk.many_instruments',
            score,
            'report',
            `User ${user} used ${instruments} payment instruments and ${devices} devices in the last ${instrumentWindow} ` +
              `(limits ${opts.maxInstruments} and ${opts.maxDevices}); score ${round(score, 2)}.`,
            { instruments, devices, maxInstruments: opts.maxInstruments, maxDevices: opts.maxDevices },
          );
        }
      }

      if (e.type === 'payment') {
        const status = attrString(e, 'status');
        const isFailed = status !== undefined && failed.has(status.toLowerCase());
        const userN = user === undefined ? 0 : fs.get(f.userAttempts);
        const devN = e.device === undefined ? 0 : fs.get(f.deviceAttempts);
        // The busier of the user's and the device's bursts, with its amounts.
        const byDevice = devN > userN;
        const attempts = byDevice ? devN : userN;
        if (attempts >= opts.cardTestingAttempts) {
          const total = byDevice ? fs.get(f.deviceAttemptSum) : fs.get(f.userAttemptSum);
          const amount = e.amount !== undefined && Number.isFinite(e.amount) ? e.amount : 0;
          const priorMean = (total - amount) / (attempts - 1);
          const micro = attempts > 1 && Number.isFinite(priorMean) && priorMean <= opts.microAmountMax;
          const large = isFailed && attempts >= 3 * opts.cardTestingAttempts;
          if (micro || large) {
            const score = graded(
              impact * WEIGHT.cardTesting,
              ramp(attempts, opts.cardTestingAttempts, opts.cardTestingAttempts * 3),
            );
            const what =
              status === undefined ? 'Payment' : isFailed ? `Payment ${status}` : `Payment (${status})`;
            const burst = micro
              ? `whose earlier attempts average ${round(priorMean, 2)} (tiny charges, at most ${opts.microAmountMax})`
              : `(at least ${3 * opts.cardTestingAttempts} with a failure)`;
            pushSignal(
              out,
              'shield.payment_risk.card_testing',
              score,
              'report',
              `${what} after ${attempts} payment attempts in the last ${attemptWindow} by the same user or device ` +
                `(threshold ${opts.cardTestingAttempts}) ${burst}: card testing; score ${round(score, 2)}.`,
              {
                status: status ?? null,
                attempts,
                threshold: opts.cardTestingAttempts,
                meanAttemptAmount: micro ? round(priorMean, 2) : null,
              },
            );
          }
        }
      }
    },
  };
}
