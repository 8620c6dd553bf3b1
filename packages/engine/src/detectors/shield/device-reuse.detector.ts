import Type from 'typebox';
import { SIGNAL_EVENT_IMPACTS } from '../../events/event-types.js';
import { DAY, distinct, type DistinctSpec } from '../../features/feature-spec.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { optCount, optDuration, optEnabled, optUnit } from './shield-options.js';
import { formatPeriod, graded, pushSignal, ramp, round } from './shield-signal.js';

/** Options of the device-reuse detector. */
export interface DeviceReuseOptions {
  /** Run this detector. */
  readonly enabled: boolean;
  /** Score when the count saturates (spec base impact of device_reuse). */
  readonly impact: number;
  /** Window over which distinct accounts per device are counted. */
  readonly windowMs: number;
  /** Accounts on one device (including the current one) that raise the signal. */
  readonly minAccounts: number;
  /** Accounts at which the score reaches `impact`. */
  readonly saturateAccounts: number;
}

/** Defaults: 3 accounts on a device within 7 days fire, 10 give the full 0.8. @example DEVICE_REUSE_DEFAULTS.minAccounts; // 3 */
export const DEVICE_REUSE_DEFAULTS: DeviceReuseOptions = Object.freeze({
  enabled: true,
  impact: SIGNAL_EVENT_IMPACTS.device_reuse,
  windowMs: 7 * DAY,
  minAccounts: 3,
  saturateAccounts: 10,
});

/** Schema of {@link DeviceReuseOptions} (every field optional). @example Compile(DeviceReuseOptionsSchema).Check({ minAccounts: 4 }) */
export const DeviceReuseOptionsSchema = Type.Object(
  {
    enabled: optEnabled(),
    impact: optUnit('Score when the account count saturates (default 0.8)'),
    windowMs: optDuration('Window for distinct accounts per device (default 7 days)'),
    minAccounts: optCount('Accounts on one device that raise the signal (default 3)'),
    saturateAccounts: optCount('Accounts at which the score is the full impact (default 10)'),
  },
  { additionalProperties: false },
);

/** The features the device-reuse detector reads. */
export interface DeviceReuseFeatures {
  /** Distinct users seen on the event's device in the window, including this event. */
  readonly accounts: DistinctSpec;
}

/** @example deviceReuseFeatures(DEVICE_REUSE_DEFAULTS).accounts.key */
export function deviceReuseFeatures(opts: DeviceReuseOptions): DeviceReuseFeatures {
  return { accounts: distinct({ entity: 'device', of: 'user', window: opts.windowMs }) };
}

/**
 * Device reuse: one device used by several accounts (spec proactive rule 1), counted in the
 * feature store's scope (the memory store keeps state per app; known-bad devices reach other
 * apps through lists). Code `shield.device_reuse.accounts`, category `identity`, alert
 * SYBIL_ATTACK.
 * @example const d = createDeviceReuseDetector(DEVICE_REUSE_DEFAULTS); // 5 accounts on a device -> ~0.65
 */
export function createDeviceReuseDetector(opts: DeviceReuseOptions): Detector {
  const f = deviceReuseFeatures(opts);
  const window = formatPeriod(opts.windowMs);
  return {
    id: 'shield.device_reuse',
    features: [f.accounts],
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      if (e.device === undefined || e.user === undefined) return;
      const n = ctx.features.get(f.accounts);
      if (!(n >= opts.minAccounts)) return;
      const score = graded(opts.impact, ramp(n, opts.minAccounts, opts.saturateAccounts));
      pushSignal(
        out,
        'shield.device_reuse.accounts',
        score,
        'identity',
        `Device ${e.device} was used by ${n} accounts in the last ${window} (threshold ${opts.minAccounts}); score ${round(score, 2)}.`,
        { device: e.device, accounts: n, threshold: opts.minAccounts, windowMs: opts.windowMs },
        'SYBIL_ATTACK',
      );
    },
  };
}
