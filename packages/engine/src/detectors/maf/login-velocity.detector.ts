import { count, distinct } from '../../features/feature-spec.js';
import { formatDuration } from '../behavior/format-duration.js';
import type { Detector } from '../detector.js';
import { levelOf, maxLevel, reportFinding } from './maf-finding.js';
import { MAF_DEFAULTS, type MafOptions } from './maf-options.js';

/**
 * `maf.login_velocity` (MAF pattern 7): login velocity and device switching. On `login`
 * events of a user, counts logins in `window` (1 h; YELLOW 10, RED 20) and distinct login
 * devices in the same window (YELLOW 3, RED 5). Writes `login_velocity`; evidence says which
 * check fired.
 * @example createLoginVelocityDetector().appliesTo; // ['login']
 */
export function createLoginVelocityDetector(opts: MafOptions = MAF_DEFAULTS): Detector {
  const o = opts.loginVelocity;
  const types = ['login'] as const;
  const logins = count({ entity: 'user', types, window: o.window });
  const devices = distinct({ entity: 'user', of: 'device', types, window: o.window });
  const span = formatDuration(o.window);
  return {
    id: 'maf.login_velocity',
    features: [logins, devices],
    appliesTo: ['login'],
    detect(ctx, out) {
      const user = ctx.event.user;
      if (user === undefined) return;
      const n = ctx.features.get(logins);
      const d = ctx.features.get(devices);
      const byLogins = levelOf(n, o.yellowAt, o.redAt);
      const bySwitching = levelOf(d, o.devicesYellowAt, o.devicesRedAt);
      const level = maxLevel(byLogins, bySwitching);
      if (level === undefined) return;
      const what =
        bySwitching === undefined
          ? `${n} logins`
          : byLogins === undefined
            ? `Logins from ${d} different devices`
            : `${n} logins from ${d} different devices`;
      reportFinding(out, {
        anomaly: 'login_velocity',
        level,
        category: 'velocity',
        reason: `${what} for one account in ${span}.`,
        evidence: {
          user,
          logins: n,
          devices: d,
          window: o.window,
          loginVelocity: byLogins !== undefined,
          deviceSwitching: bySwitching !== undefined,
        },
      });
    },
  };
}
