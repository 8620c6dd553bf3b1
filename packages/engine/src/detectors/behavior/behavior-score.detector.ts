import type { RiskLevel } from '../../decisions/decision.js';
import { DAY, cluster, count, distinct, first, type FeatureSpec } from '../../features/feature-spec.js';
import type { FeatureSnapshot } from '../../features/feature-store.js';
import type { Detector } from '../detector.js';
import { severityOf, type EvidenceValue, type Signal } from '../signal.js';
import { BEHAVIOR_DEFAULTS, type BehaviorOptions, type RampFactorOptions } from './behavior-options.js';
import { formatDuration } from './format-duration.js';

/** The factors of the behaviour score, in evaluation order. */
export const BEHAVIOR_FACTORS = [
  'account_age',
  'devices_per_user',
  'ips_per_user',
  'accounts_per_device',
  'accounts_per_ip',
  'hourly_events',
  'daily_events',
  'linked_accounts',
  'referrals_made',
  'ip_signups',
] as const;
export type BehaviorFactor = (typeof BEHAVIOR_FACTORS)[number];

/**
 * 0 at or below `soft`, 1 at or above `hard`, linear in between (NaN counts as 0).
 * @example ramp(4, 2, 6); // 0.5
 */
export function ramp(x: number, soft: number, hard: number): number {
  if (!(x > soft)) return 0;
  if (x >= hard) return 1;
  return (x - soft) / (hard - soft);
}

/**
 * Risk level of a behaviour score: the oracle bands applied to `100 - score` (score 85 → SAFE,
 * 65 → LOW, 45 → MEDIUM, 25 → HIGH, 10 → CRITICAL).
 * @example behaviorRiskLevel(72); // 'LOW'
 */
export function behaviorRiskLevel(score: number): RiskLevel {
  const risk = 100 - score;
  if (risk <= 20) return 'SAFE';
  if (risk <= 40) return 'LOW';
  if (risk <= 60) return 'MEDIUM';
  if (risk <= 80) return 'HIGH';
  return 'CRITICAL';
}

interface RampTerm {
  readonly factor: Exclude<BehaviorFactor, 'account_age'>;
  readonly options: RampFactorOptions;
  readonly read: (f: FeatureSnapshot) => number;
  readonly describe: (value: number) => string;
}

/**
 * `behavior.score`: the behaviour score (BSE), 0..100, higher is more trustworthy.
 *
 * Formula, with `ramp(x, soft, hard)` = 0 at or below soft, 1 at or above hard, linear between:
 *
 * ```
 * score = clamp(round(100 - agePenalty - Σ weight_f × ramp(value_f, soft_f, hard_f)), 0, 100)
 * agePenalty = 20 × (1 - min(age, 30 d) / 30 d)      (age = event.at - user's first-seen; 0 when new)
 * ```
 *
 * Default factors (weight in points, soft → hard), all read from features:
 * - devices used by the user in 24 h: 15, 2 → 6; IPs used by the user in 24 h: 10, 3 → 10
 * - accounts on this device in 7 d: 20, 2 → 6; accounts on this IP in 24 h: 10, 5 → 30
 * - user's events in 1 h: 15, 120 → 600; in 24 h: 10, 1000 → 5000
 * - accounts linked to the user through shared devices (all history): 15, 3 → 10
 * - accounts the user referred in 24 h: 15, 5 → 30; signups from this IP in 1 h: 10, 3 → 10
 *
 * The device/IP factors measure device and IP patterns, the event counts activity velocity,
 * and the last three stand for behavioural anomalies: MAF findings on this very event are not
 * visible to it, so it reads the same underlying features instead. Writes
 * `facets.behaviorScore` on every event with a user; emits `behavior.low_score` (category
 * `behavior`, score `(100 - behaviorScore) / 100`) only below `score.signalBelow` (50), naming
 * the factors that lowered it, largest first.
 * @example
 * const d = createBehaviorScoreDetector();
 * d.detect(ctx, out); out.facets.behaviorScore; // e.g. 80 for a brand-new, otherwise clean user
 */
export function createBehaviorScoreDetector(opts: BehaviorOptions = BEHAVIOR_DEFAULTS): Detector {
  const firstSeen = first({ entity: 'user' });
  const o = opts;
  const devicesPerUser = distinct({ entity: 'user', of: 'device', window: o.devicesPerUser.window });
  const ipsPerUser = distinct({ entity: 'user', of: 'ip', window: o.ipsPerUser.window });
  const accountsPerDevice = distinct({
    entity: 'device',
    of: 'user',
    window: o.accountsPerDevice.window,
  });
  const accountsPerIp = distinct({ entity: 'ip', of: 'user', window: o.accountsPerIp.window });
  const hourly = count({ entity: 'user', window: o.hourlyEvents.window });
  const daily = count({ entity: 'user', window: o.dailyEvents.window });
  const linked = cluster({ entity: 'user', via: ['device'] });
  // Referred users are kept per referrer; `readAs: 'user'` reads the current user's own count.
  const referralsByReferrer = distinct({
    entity: 'referrer',
    of: 'user',
    types: ['referral'],
    window: o.referralsMade.window,
  });
  const referralsMade = distinct({
    entity: 'referrer',
    of: 'user',
    types: ['referral'],
    window: o.referralsMade.window,
    readAs: 'user',
  });
  const ipSignups = count({ entity: 'ip', types: ['signup'], window: o.ipSignups.window });

  const dur = formatDuration;
  const terms: readonly RampTerm[] = [
    {
      factor: 'devices_per_user',
      options: o.devicesPerUser,
      read: (f) => f.get(devicesPerUser),
      describe: (v) => `${v} devices used in ${dur(o.devicesPerUser.window)}`,
    },
    {
      factor: 'ips_per_user',
      options: o.ipsPerUser,
      read: (f) => f.get(ipsPerUser),
      describe: (v) => `${v} IPs used in ${dur(o.ipsPerUser.window)}`,
    },
    {
      factor: 'accounts_per_device',
      options: o.accountsPerDevice,
      read: (f) => f.get(accountsPerDevice),
      describe: (v) => `${v} accounts on this device in ${dur(o.accountsPerDevice.window)}`,
    },
    {
      factor: 'accounts_per_ip',
      options: o.accountsPerIp,
      read: (f) => f.get(accountsPerIp),
      describe: (v) => `${v} accounts on this IP in ${dur(o.accountsPerIp.window)}`,
    },
    {
      factor: 'hourly_events',
      options: o.hourlyEvents,
      read: (f) => f.get(hourly),
      describe: (v) => `${v} events in ${dur(o.hourlyEvents.window)}`,
    },
    {
      factor: 'daily_events',
      options: o.dailyEvents,
      read: (f) => f.get(daily),
      describe: (v) => `${v} events in ${dur(o.dailyEvents.window)}`,
    },
    {
      factor: 'linked_accounts',
      options: o.linkedAccounts,
      read: (f) => f.get(linked).size,
      describe: (v) => `${v} accounts linked through shared devices`,
    },
    {
      factor: 'referrals_made',
      options: o.referralsMade,
      read: (f) => f.get(referralsMade),
      describe: (v) => `${v} accounts referred in ${dur(o.referralsMade.window)}`,
    },
    {
      factor: 'ip_signups',
      options: o.ipSignups,
      read: (f) => f.get(ipSignups),
      describe: (v) => `${v} signups from this IP in ${dur(o.ipSignups.window)}`,
    },
  ];
  const features: readonly FeatureSpec[] = [
    firstSeen,
    devicesPerUser,
    ipsPerUser,
    accountsPerDevice,
    accountsPerIp,
    hourly,
    daily,
    linked,
    referralsByReferrer,
    referralsMade,
    ipSignups,
  ];

  const ageWeight = o.accountAge.weight;
  const mature = Math.max(1, o.accountAge.matureAfter);
  const signalBelow = o.score.signalBelow;
  // Scratch space reused by every event (detectors run synchronously, one event at a time).
  const values = new Float64Array(terms.length);
  const penalties = new Float64Array(terms.length);

  function lowScoreSignal(score: number, ageMs: number, agePenalty: number): Signal {
    const ageDays = Math.round((ageMs / DAY) * 100) / 100;
    const items: { factor: BehaviorFactor; points: number; value: number; text: string }[] = [];
    if (agePenalty > 0) {
      items.push({
        factor: 'account_age',
        points: agePenalty,
        value: ageDays,
        text: `a new account (${ageDays} days old)`,
      });
    }
    for (let i = 0; i < terms.length; i++) {
      const t = terms[i];
      const p = penalties[i] ?? 0;
      const v = values[i] ?? 0;
      if (t !== undefined && p > 0) {
        items.push({ factor: t.factor, points: p, value: v, text: t.describe(v) });
      }
    }
    items.sort((a, b) => b.points - a.points);
    const riskLevel = behaviorRiskLevel(score);
    const evidence: Record<string, EvidenceValue> = {
      behaviorScore: score,
      riskLevel,
      factors: items.map((x) => x.factor),
      penalties: items.map((x) => Math.round(x.points * 10) / 10),
    };
    for (const x of items) evidence[x.factor] = x.value;
    const risk = (100 - score) / 100;
    return {
      code: 'behavior.low_score',
      score: risk,
      severity: severityOf(risk),
      category: 'behavior',
      reason:
        items.length > 0
          ? `Behaviour score ${score}/100 (${riskLevel} risk), lowered by ${items.map((x) => x.text).join('; ')}.`
          : `Behaviour score ${score}/100 (${riskLevel} risk).`,
      evidence,
    };
  }

  return {
    id: 'behavior.score',
    features,
    detect(ctx, out) {
      const e = ctx.event;
      if (e.user === undefined) return;
      const f = ctx.features;
      const firstAt = f.get(firstSeen);
      // Out-of-order events (older than the first-seen time) count as a brand-new account.
      const ageMs = firstAt === undefined || !(e.at > firstAt) ? 0 : e.at - firstAt;
      const agePenalty = ageWeight * (1 - Math.min(ageMs, mature) / mature);
      let total = agePenalty;
      for (let i = 0; i < terms.length; i++) {
        const t = terms[i];
        if (t === undefined) continue;
        const v = t.read(f);
        const p = t.options.weight * ramp(v, t.options.soft, t.options.hard);
        values[i] = v;
        penalties[i] = p;
        total += p;
      }
      const raw = Math.round(100 - total);
      const score = raw < 0 ? 0 : raw > 100 ? 100 : raw;
      out.facets.behaviorScore = score;
      if (score < signalBelow) out.signals.push(lowScoreSignal(score, ageMs, agePenalty));
    },
  };
}
