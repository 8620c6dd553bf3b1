import { ACTIVITY_EVENT_TYPES, type ActivityEventType } from '../../events/event-types.js';
import { distinct, last, type FeatureSpec } from '../../features/feature-spec.js';
import type { Detector } from '../detector.js';
import { severityOf, type EvidenceValue } from '../signal.js';
import { BEHAVIOR_DEFAULTS, type BehaviorOptions } from './behavior-options.js';
import { ramp } from './behavior-score.detector.js';
import { formatDuration } from './format-duration.js';

/**
 * Event types that show a referred account is really used: every built-in activity type except
 * the signup and referral that create it and the tracker's passive `behavior` telemetry.
 */
export const REFERRAL_ACTIVITY_TYPES: readonly ActivityEventType[] = ACTIVITY_EVENT_TYPES.filter(
  (t) => t !== 'signup' && t !== 'referral' && t !== 'behavior',
);

/** Findings of `behavior.fake_referral`, in reason order. */
export const FAKE_REFERRAL_FACTORS = [
  'self_device',
  'self_ip',
  'velocity',
  'low_diversity',
  'inactive_referrals',
] as const;
export type FakeReferralFactor = (typeof FAKE_REFERRAL_FACTORS)[number];

/**
 * `behavior.fake_referral`: fake-referral detection on `referral` events (`user` is the new,
 * referred account; `referrer` the referring user; device/IP are the referred account's).
 *
 * Factors, each a strength 0..1 times its weight, combined by noisy-OR
 * (`1 - Π(1 - weight × strength)`); the signal (category `pattern`) fires at `signalAt` (0.5):
 * - `self_device` / `self_ip` (0.9 / 0.4): the referred account uses the referrer's own last
 *   device / IP (read with `readAs: 'referrer'` on the user's last-device/IP features).
 * - `velocity` (0.6): accounts referred by the referrer in 1 h, ramp 3 → 10.
 *   (Referrals are always counted as distinct referred accounts.)
 * - `low_diversity` (0.8): with ≥ 4 referrals in 24 h, diversity = distinct referred devices (or
 *   IPs, whichever is lower; a dimension no event carried is skipped) / referrals; ramp from
 *   0.8 (diverse, nothing) down to 0.25 (all on one device: full strength).
 * - `inactive_referrals` (0.7): referred accounts that never did anything. Feature-based:
 *   `matured` = referred accounts in 30 d − those in the 3 d grace period; `active` = distinct
 *   referred users seen on activity events (login, payment, upload, ... not signup/referral)
 *   that carry this `referrer` in 30 d. Inactive share = 1 − active / matured, ramp 0.5 → 0.9,
 *   judged once `matured` ≥ 5. This relies on the app attributing the referred users' later
 *   events to their referrer (sending `referrer` on them); it is only judged when the app did
 *   so for any referrer in the last 7 d (an app-wide distinct count), so apps that never
 *   attribute are not flagged. `active` may include fresh referrals, which only makes the
 *   measure more lenient.
 * @example
 * const d = createFakeReferralDetector();
 * d.appliesTo; // ['referral']
 */
export function createFakeReferralDetector(opts: BehaviorOptions = BEHAVIOR_DEFAULTS): Detector {
  const o = opts.fakeReferral;
  // Referrals are counted as distinct referred accounts, so an app that sends several events per
  // referral (created, rewarded) is not mistaken for a burst.
  const referralCount = (window: number) =>
    distinct({ entity: 'referrer', of: 'user', types: ['referral'], window });
  const velocity = referralCount(o.velocityWindow);
  const referrals = referralCount(o.window);
  const referredDevices = distinct({
    entity: 'referrer',
    of: 'device',
    types: ['referral'],
    window: o.window,
  });
  const referredIps = distinct({ entity: 'referrer', of: 'ip', types: ['referral'], window: o.window });
  const userLastDevice = last({ entity: 'user', field: 'device' });
  const userLastIp = last({ entity: 'user', field: 'ip' });
  const referrerLastDevice = last({ entity: 'user', field: 'device', readAs: 'referrer' });
  const referrerLastIp = last({ entity: 'user', field: 'ip', readAs: 'referrer' });
  const referralsLong = referralCount(o.inactiveWindow);
  const referralsGrace = referralCount(o.grace);
  const activeReferred = distinct({
    entity: 'referrer',
    of: 'user',
    types: REFERRAL_ACTIVITY_TYPES,
    window: o.inactiveWindow,
  });
  const attributingReferrers = distinct({
    entity: 'app',
    of: 'referrer',
    types: REFERRAL_ACTIVITY_TYPES,
    window: o.attributionWindow,
  });
  const features: readonly FeatureSpec[] = [
    velocity,
    referrals,
    referredDevices,
    referredIps,
    userLastDevice,
    userLastIp,
    referrerLastDevice,
    referrerLastIp,
    referralsLong,
    referralsGrace,
    activeReferred,
    attributingReferrers,
  ];
  const dVelocity = formatDuration(o.velocityWindow);
  const dWindow = formatDuration(o.window);
  const dInactive = formatDuration(o.inactiveWindow);
  const dGrace = formatDuration(o.grace);
  const diversitySpan = o.diverseAbove - o.uniformAt;

  return {
    id: 'behavior.fake_referral',
    features,
    appliesTo: ['referral'],
    detect(ctx, out) {
      const e = ctx.event;
      const referrer = e.referrer;
      if (referrer === undefined || e.user === undefined) return;
      const f = ctx.features;
      let keep = 1;

      const rd = f.get(referrerLastDevice);
      const selfDevice = e.device !== undefined && rd !== undefined && rd.value === e.device;
      if (selfDevice) keep *= 1 - o.selfDeviceWeight;
      const ri = f.get(referrerLastIp);
      const selfIp = e.ip !== undefined && ri !== undefined && ri.value === e.ip;
      if (selfIp) keep *= 1 - o.selfIpWeight;

      const nVelocity = f.get(velocity);
      const sVelocity = ramp(nVelocity, o.velocitySoft, o.velocityHard);
      keep *= 1 - o.velocityWeight * sVelocity;

      const n = f.get(referrals);
      const nDevices = f.get(referredDevices);
      const nIps = f.get(referredIps);
      let diversity = 1;
      if (n >= o.minReferrals && n > 0) {
        if (nDevices > 0) diversity = Math.min(diversity, nDevices / n);
        if (nIps > 0) diversity = Math.min(diversity, nIps / n);
      }
      const sDiversity =
        diversity >= o.diverseAbove
          ? 0
          : diversitySpan <= 0 || diversity <= o.uniformAt
            ? 1
            : (o.diverseAbove - diversity) / diversitySpan;
      keep *= 1 - o.diversityWeight * sDiversity;

      const matured = Math.max(0, f.get(referralsLong) - f.get(referralsGrace));
      const active = f.get(activeReferred);
      const attributing = f.get(attributingReferrers) > 0;
      let inactiveShare = 0;
      if (attributing && matured >= o.minMatured && matured > 0) {
        inactiveShare = Math.max(0, 1 - active / matured);
      }
      const sInactive = ramp(inactiveShare, o.inactiveSoft, o.inactiveHard);
      keep *= 1 - o.inactiveWeight * sInactive;

      const score = 1 - keep;
      if (!(score >= o.signalAt)) return;

      const factors: FakeReferralFactor[] = [];
      const parts: string[] = [];
      if (selfDevice) {
        factors.push('self_device');
        parts.push("the referred account uses the referrer's own device");
      }
      if (selfIp) {
        factors.push('self_ip');
        parts.push("the referred account uses the referrer's own IP");
      }
      if (sVelocity > 0) {
        factors.push('velocity');
        parts.push(`${nVelocity} referrals in ${dVelocity}`);
      }
      if (sDiversity > 0) {
        factors.push('low_diversity');
        parts.push(`${n} referrals in ${dWindow} came from only ${nDevices} devices and ${nIps} IPs`);
      }
      if (sInactive > 0) {
        factors.push('inactive_referrals');
        parts.push(
          `${matured - Math.min(active, matured)} of ${matured} referrals older than ${dGrace} (within ${dInactive}) never became active`,
        );
      }
      const rounded = Math.round(score * 1000) / 1000;
      const evidence: Record<string, EvidenceValue> = {
        referrer,
        factors,
        referralsRecent: nVelocity,
        referrals: n,
        referredDevices: nDevices,
        referredIps: nIps,
        diversity: Math.round(diversity * 1000) / 1000,
        selfDevice,
        selfIp,
        maturedReferrals: matured,
        activeReferred: active,
        attributionSeen: attributing,
      };
      out.signals.push({
        code: 'behavior.fake_referral',
        score: rounded,
        severity: severityOf(rounded),
        category: 'pattern',
        reason: `Likely fake referral by ${referrer}: ${parts.join('; ')}.`,
        evidence,
      });
    },
  };
}
