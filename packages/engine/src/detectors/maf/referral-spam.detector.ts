import { distinct } from '../../features/feature-spec.js';
import { formatDuration } from '../behavior/format-duration.js';
import type { Detector } from '../detector.js';
import { reportFinding, type FindingLevel } from './maf-finding.js';
import { MAF_DEFAULTS, type MafOptions } from './maf-options.js';

/**
 * `maf.referral_spam` (MAF pattern 5): referral spam with diversity analysis. On `referral`
 * events, for the referrer: `n` distinct referred accounts in `window` (24 h) and the diversity of the referred
 * accounts = distinct devices / n and distinct IPs / n, taking the lower (a dimension no
 * referral carried is skipped; with neither, diversity is not judged). YELLOW at n ≥ 5 with
 * diversity ≤ 0.5, RED at n ≥ 10 with diversity ≤ 0.3. Many referrals from many different
 * devices and networks are growth, not spam. Writes `referral_spam`; RED raises `SYBIL_ATTACK`.
 * @example createReferralSpamDetector().appliesTo; // ['referral']
 */
export function createReferralSpamDetector(opts: MafOptions = MAF_DEFAULTS): Detector {
  const o = opts.referralSpam;
  const types = ['referral'] as const;
  // Distinct referred accounts, so several events about one referral do not inflate it.
  const referrals = distinct({ entity: 'referrer', of: 'user', types, window: o.window });
  const devices = distinct({ entity: 'referrer', of: 'device', types, window: o.window });
  const ips = distinct({ entity: 'referrer', of: 'ip', types, window: o.window });
  const span = formatDuration(o.window);
  return {
    id: 'maf.referral_spam',
    features: [referrals, devices, ips],
    appliesTo: ['referral'],
    detect(ctx, out) {
      const referrer = ctx.event.referrer;
      if (referrer === undefined) return;
      const f = ctx.features;
      const n = f.get(referrals);
      if (!(n >= o.yellowAt) && !(n >= o.redAt)) return;
      const d = f.get(devices);
      const i = f.get(ips);
      if (d <= 0 && i <= 0) return;
      let diversity = 1;
      if (d > 0) diversity = Math.min(diversity, d / n);
      if (i > 0) diversity = Math.min(diversity, i / n);
      let level: FindingLevel | undefined;
      if (n >= o.redAt && diversity <= o.redDiversity) level = 'RED';
      else if (n >= o.yellowAt && diversity <= o.yellowDiversity) level = 'YELLOW';
      if (level === undefined) return;
      const rounded = Math.round(diversity * 1000) / 1000;
      reportFinding(out, {
        anomaly: 'referral_spam',
        level,
        category: 'pattern',
        reason: `${n} referrals by ${referrer} in ${span} came from only ${d} devices and ${i} IPs (diversity ${rounded}).`,
        evidence: { referrer, referrals: n, devices: d, ips: i, diversity: rounded, window: o.window },
        ...(level === 'RED' ? { alert: 'SYBIL_ATTACK' as const } : {}),
      });
    },
  };
}
