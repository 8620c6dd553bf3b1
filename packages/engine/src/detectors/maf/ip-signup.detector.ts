import { count } from '../../features/feature-spec.js';
import { formatDuration } from '../behavior/format-duration.js';
import type { Detector } from '../detector.js';
import { levelOf, reportFinding } from './maf-finding.js';
import { MAF_DEFAULTS, type MafOptions } from './maf-options.js';

/**
 * `maf.ip_signup` (MAF pattern 1): same-IP signup clustering. Counts signups from the event's IP
 * in `ipSignup.window` (1 h), this one included: YELLOW at 3, RED at 5 by default. Writes
 * `ip_signup_cluster`; a RED finding raises `SYBIL_ATTACK`.
 * @example
 * createIpSignupDetector({ ...MAF_DEFAULTS, ipSignup: { window: HOUR, yellowAt: 5, redAt: 10 } });
 */
export function createIpSignupDetector(opts: MafOptions = MAF_DEFAULTS): Detector {
  const o = opts.ipSignup;
  const signups = count({ entity: 'ip', types: ['signup'], window: o.window });
  const span = formatDuration(o.window);
  return {
    id: 'maf.ip_signup',
    features: [signups],
    appliesTo: ['signup'],
    detect(ctx, out) {
      const ip = ctx.event.ip;
      if (ip === undefined) return;
      const n = ctx.features.get(signups);
      const level = levelOf(n, o.yellowAt, o.redAt);
      if (level === undefined) return;
      reportFinding(out, {
        anomaly: 'ip_signup_cluster',
        level,
        category: 'pattern',
        reason: `${n} signups from IP ${ip} in ${span} (${level} at ${level === 'RED' ? o.redAt : o.yellowAt}).`,
        evidence: { ip, signups: n, window: o.window },
        ...(level === 'RED' ? { alert: 'SYBIL_ATTACK' as const } : {}),
      });
    },
  };
}
