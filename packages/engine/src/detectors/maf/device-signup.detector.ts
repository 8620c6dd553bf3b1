import { count } from '../../features/feature-spec.js';
import { formatDuration } from '../behavior/format-duration.js';
import type { Detector } from '../detector.js';
import { levelOf, reportFinding } from './maf-finding.js';
import { MAF_DEFAULTS, type MafOptions } from './maf-options.js';

/**
 * `maf.device_signup` (MAF pattern 2): same-device signup clustering. Counts signups from the
 * event's device in `deviceSignup.window` (24 h), this one included: YELLOW at 2, RED at 3 by
 * default (a device rarely creates more than one account). Writes `device_signup_cluster`; a
 * RED finding raises `SYBIL_ATTACK`.
 * @example createDeviceSignupDetector().appliesTo; // ['signup']
 */
export function createDeviceSignupDetector(opts: MafOptions = MAF_DEFAULTS): Detector {
  const o = opts.deviceSignup;
  const signups = count({ entity: 'device', types: ['signup'], window: o.window });
  const span = formatDuration(o.window);
  return {
    id: 'maf.device_signup',
    features: [signups],
    appliesTo: ['signup'],
    detect(ctx, out) {
      const device = ctx.event.device;
      if (device === undefined) return;
      const n = ctx.features.get(signups);
      const level = levelOf(n, o.yellowAt, o.redAt);
      if (level === undefined) return;
      reportFinding(out, {
        anomaly: 'device_signup_cluster',
        level,
        category: 'identity',
        reason: `${n} signups from one device in ${span} (${level} at ${level === 'RED' ? o.redAt : o.yellowAt}).`,
        evidence: { device, signups: n, window: o.window },
        ...(level === 'RED' ? { alert: 'SYBIL_ATTACK' as const } : {}),
      });
    },
  };
}
