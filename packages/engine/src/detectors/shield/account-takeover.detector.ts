import Type from 'typebox';
import { DAY, HOUR, count, first, type CountSpec, type FirstSpec } from '../../features/feature-spec.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { optCount, optDuration, optEnabled, optUnit } from './shield-options.js';
import { formatPeriod, pushSignal, round } from './shield-signal.js';

/** Options of the account-takeover detector. */
export interface AccountTakeoverOptions {
  /** Run this detector. */
  readonly enabled: boolean;
  /** Score of money leaving an established account from a new device and network to a new address. */
  readonly impact: number;
  /** Score of repeated logins from a new device and network on an established account. */
  readonly loginImpact: number;
  /** A device, IP or recipient address first seen less than this long ago is new. */
  readonly newWithinMs: number;
  /** The account must have been seen at least this long before the device first appeared. */
  readonly minAccountLeadMs: number;
  /** Login attempts from the new device within `newWithinMs` (this one included) that count as retries. */
  readonly minLoginAttempts: number;
}

/**
 * Defaults: device, IP and recipient first seen within the hour, on an account seen at least a
 * day before the device; money out scores 0.8, a second login attempt 0.6.
 * @example ACCOUNT_TAKEOVER_DEFAULTS.newWithinMs; // 3600000
 */
export const ACCOUNT_TAKEOVER_DEFAULTS: AccountTakeoverOptions = Object.freeze({
  enabled: true,
  impact: 0.8,
  loginImpact: 0.6,
  newWithinMs: HOUR,
  minAccountLeadMs: DAY,
  minLoginAttempts: 2,
});

/** Schema of {@link AccountTakeoverOptions} (every field optional). @example Compile(AccountTakeoverOptionsSchema).Check({ newWithinMs: 7200000 }) */
export const AccountTakeoverOptionsSchema = Type.Object(
  {
    enabled: optEnabled(),
    impact: optUnit('Score of money out from a new device and network to a new address (default 0.8)'),
    loginImpact: optUnit('Score of repeated logins from a new device and network (default 0.6)'),
    newWithinMs: optDuration('A device, IP or address first seen this recently is new (default 1 hour)'),
    minAccountLeadMs: optDuration('How long the account must predate the device (default 1 day)'),
    minLoginAttempts: optCount('Login attempts from the new device that are retries (default 2)'),
  },
  { additionalProperties: false },
);

/** The features the account-takeover detector reads. */
export interface AccountTakeoverFeatures {
  /** When the account was first seen (any event type; the velocity spike's spec). */
  readonly userFirst: FirstSpec;
  /** When the event's device was first seen, by any account. */
  readonly deviceFirst: FirstSpec;
  /** When the event's IP was first seen. */
  readonly ipFirst: FirstSpec;
  /** When the recipient address was first paid. */
  readonly recipientFirst: FirstSpec;
  /** Login attempts from the device within the window, this one included. */
  readonly deviceLogins: CountSpec;
}

/** @example accountTakeoverFeatures(ACCOUNT_TAKEOVER_DEFAULTS).deviceFirst.entity; // 'device' */
export function accountTakeoverFeatures(opts: AccountTakeoverOptions): AccountTakeoverFeatures {
  return {
    userFirst: first({ entity: 'user' }),
    deviceFirst: first({ entity: 'device' }),
    ipFirst: first({ entity: 'ip' }),
    recipientFirst: first({ entity: 'counterparty' }),
    deviceLogins: count({ entity: 'device', types: ['login'], window: opts.newWithinMs }),
  };
}

/**
 * Account takeover, carried past the login: after an attacker logs in (impossible travel or a new
 * location catches that first event), the session continues on the attacker's device and network.
 * Both are new to the account while the account itself is not; an analyst reads "a device and an
 * IP nobody had seen an hour ago, on an account that existed before them" as a session of someone
 * else. On such a session:
 * - `shield.account_takeover.new_device_cashout` (score `impact`): a transfer or withdrawal to an
 *   address first paid within the window (a drop wallet), the classic cash-out;
 * - `shield.account_takeover.new_device_login_retry` (score `loginImpact`): another login attempt
 *   from the device within the window (password guessing or a retry after a failed attempt).
 * A new account on its first device (the account is as new as the device), an established user
 * on a known device or network, and money to a known address all stay quiet. Category `identity`.
 * @example const d = createAccountTakeoverDetector(ACCOUNT_TAKEOVER_DEFAULTS); // withdrawal from a 5-minute-old device and IP to a new address -> 0.8
 */
export function createAccountTakeoverDetector(opts: AccountTakeoverOptions): Detector {
  const f = accountTakeoverFeatures(opts);
  const window = formatPeriod(opts.newWithinMs);
  const minutes = (ms: number): number => round(ms / 60_000, 1);
  return {
    id: 'shield.account_takeover',
    features: [f.userFirst, f.deviceFirst, f.deviceLogins, f.ipFirst, f.recipientFirst],
    appliesTo: ['login', 'transfer', 'withdrawal'],
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      if (e.user === undefined || e.device === undefined || e.ip === undefined) return;
      const fs = ctx.features;
      const userFirst = fs.get(f.userFirst);
      // A brand-new account has nothing to take over.
      if (userFirst === undefined) return;
      const deviceFirst = fs.get(f.deviceFirst) ?? e.at;
      const deviceAge = e.at - deviceFirst;
      if (!(deviceAge < opts.newWithinMs) || deviceAge < -opts.newWithinMs) return;
      if (!(deviceFirst - userFirst >= opts.minAccountLeadMs)) return;
      const ipFirst = fs.get(f.ipFirst) ?? e.at;
      const ipAge = e.at - ipFirst;
      if (!(ipAge < opts.newWithinMs)) return;

      if (e.type === 'login') {
        const attempts = fs.get(f.deviceLogins);
        if (!(attempts >= opts.minLoginAttempts)) return;
        pushSignal(
          out,
          'shield.account_takeover.new_device_login_retry',
          opts.loginImpact,
          'identity',
          `Login attempt ${attempts} within the ${window} to account ${e.user} from device ${e.device} and IP ${e.ip}, ` +
            `both first seen ${minutes(Math.max(deviceAge, ipAge))} min ago, on an account seen ${minutes(deviceFirst - userFirst)} min before the device; score ${round(opts.loginImpact, 2)}.`,
          {
            attempts,
            deviceAgeMinutes: minutes(deviceAge),
            ipAgeMinutes: minutes(ipAge),
            accountLeadMinutes: minutes(deviceFirst - userFirst),
          },
        );
        return;
      }

      const to = e.counterparty;
      if (to === undefined) return;
      const recipientFirst = fs.get(f.recipientFirst) ?? e.at;
      const recipientAge = e.at - recipientFirst;
      if (!(recipientAge < opts.newWithinMs)) return;
      pushSignal(
        out,
        'shield.account_takeover.new_device_cashout',
        opts.impact,
        'identity',
        `${e.type === 'withdrawal' ? 'Withdrawal' : 'Transfer'} from account ${e.user} to ${to}, an address first paid ` +
          `${minutes(recipientAge)} min ago, from device ${e.device} and IP ${e.ip} first seen ${minutes(Math.max(deviceAge, ipAge))} min ago ` +
          `on an account seen ${minutes(deviceFirst - userFirst)} min before the device: a cash-out by whoever took the session; score ${round(opts.impact, 2)}.`,
        {
          recipient: to,
          amount: e.amount ?? null,
          recipientAgeMinutes: minutes(recipientAge),
          deviceAgeMinutes: minutes(deviceAge),
          ipAgeMinutes: minutes(ipAge),
          accountLeadMinutes: minutes(deviceFirst - userFirst),
        },
      );
    },
  };
}
