/**
 * The cross-app shield's detectors (specs/cross-app-shield.md): signal events with their base
 * impacts, and the eight proactive investigation rules. Each detector's full score is the base
 * impact of the matching event type; a finding just past its threshold scores 60% of it.
 *
 * | detector (options key) | signal codes | category |
 * |---|---|---|
 * | `shield.signal_event` (signalEvents) | `.<type>` for each signal event type | report |
 * | `shield.device_reuse` (deviceReuse) | `.accounts` | identity |
 * | `shield.velocity_spike` (velocitySpike) | `.rate`, `.cap` | velocity |
 * | `shield.impossible_travel` (impossibleTravel) | `.speed` | identity |
 * | `shield.win_rate_anomaly` (winRate) | `.multiplier`, `.rate`, `.after_jackpot` | pattern |
 * | `shield.payment_risk` (paymentRisk) | `.chargeback`, `.chargeback_ratio`, `.linked_chargeback`, `.merchant_chargebacks`, `.many_instruments`, `.card_testing` | report |
 * | `shield.bot_behavior` (botBehavior) | `.automation`, `.user_agent`, `.burst` | behavior |
 * | `shield.ip_reputation` (ipReputation) | `.listed`, `.anonymizer`, `.shared` | reputation |
 * | `shield.activity_timing` (activityTiming) | `.unusual_hour`, `.night` | timing |
 * | `shield.account_takeover` (accountTakeover) | `.new_device_cashout`, `.new_device_login_retry` | identity |
 *
 * The last one goes beyond the spec's eight rules: it carries an account takeover past its first
 * login (which impossible travel catches) to the session's later logins and cash-out.
 * Codes are the detector id plus the finding, e.g. `shield.impossible_travel.speed`.
 * @module
 */
import Type, { type Static } from 'typebox';
import type { Detector } from '../detector.js';
import {
  ACCOUNT_TAKEOVER_DEFAULTS,
  AccountTakeoverOptionsSchema,
  createAccountTakeoverDetector,
  type AccountTakeoverOptions,
} from './account-takeover.detector.js';
import {
  ACTIVITY_TIMING_DEFAULTS,
  ActivityTimingOptionsSchema,
  createActivityTimingDetector,
  type ActivityTimingOptions,
} from './activity-timing.detector.js';
import {
  BOT_BEHAVIOR_DEFAULTS,
  BotBehaviorOptionsSchema,
  createBotBehaviorDetector,
  type BotBehaviorOptions,
} from './bot-behavior.detector.js';
import {
  DEVICE_REUSE_DEFAULTS,
  DeviceReuseOptionsSchema,
  createDeviceReuseDetector,
  type DeviceReuseOptions,
} from './device-reuse.detector.js';
import {
  IMPOSSIBLE_TRAVEL_DEFAULTS,
  ImpossibleTravelOptionsSchema,
  createImpossibleTravelDetector,
  type ImpossibleTravelOptions,
} from './impossible-travel.detector.js';
import {
  IP_REPUTATION_DEFAULTS,
  IpReputationOptionsSchema,
  createIpReputationDetector,
  type IpReputationOptions,
} from './ip-reputation.detector.js';
import {
  PAYMENT_RISK_DEFAULTS,
  PaymentRiskOptionsSchema,
  createPaymentRiskDetector,
  type PaymentRiskOptions,
} from './payment-risk.detector.js';
import { mergeOptions } from './shield-options.js';
import {
  SIGNAL_EVENT_DEFAULTS,
  SignalEventOptionsSchema,
  createSignalEventDetector,
  type SignalEventOptions,
} from './signal-event.detector.js';
import {
  VELOCITY_SPIKE_DEFAULTS,
  VelocitySpikeOptionsSchema,
  createVelocitySpikeDetector,
  type VelocitySpikeOptions,
} from './velocity-spike.detector.js';
import {
  WIN_RATE_DEFAULTS,
  WinRateOptionsSchema,
  createWinRateDetector,
  type WinRateOptions,
} from './win-rate.detector.js';

export * from './account-takeover.detector.js';
export * from './activity-timing.detector.js';
export * from './bot-behavior.detector.js';
export * from './device-reuse.detector.js';
export * from './impossible-travel.detector.js';
export * from './ip-reputation.detector.js';
export * from './payment-risk.detector.js';
export * from './signal-event.detector.js';
export * from './velocity-spike.detector.js';
export * from './win-rate.detector.js';

/** Options of every shield detector, one nested object per detector. */
export interface ShieldOptions {
  /** Signal events sent by apps (`fraud_signal`, ...): detector `shield.signal_event`. */
  readonly signalEvents: SignalEventOptions;
  /** Rule 1, `shield.device_reuse`. */
  readonly deviceReuse: DeviceReuseOptions;
  /** Rule 2, `shield.velocity_spike`. */
  readonly velocitySpike: VelocitySpikeOptions;
  /** Rule 3, `shield.impossible_travel`. */
  readonly impossibleTravel: ImpossibleTravelOptions;
  /** Rule 4, `shield.win_rate_anomaly`. */
  readonly winRate: WinRateOptions;
  /** Rule 5, `shield.payment_risk`. */
  readonly paymentRisk: PaymentRiskOptions;
  /** Rule 6, `shield.bot_behavior`. */
  readonly botBehavior: BotBehaviorOptions;
  /** Rule 7, `shield.ip_reputation`. */
  readonly ipReputation: IpReputationOptions;
  /** Rule 8, `shield.activity_timing`. */
  readonly activityTiming: ActivityTimingOptions;
  /** Beyond the spec: a takeover's session after its first login, `shield.account_takeover`. */
  readonly accountTakeover: AccountTakeoverOptions;
}

/** What an app may configure: any detector, any of its fields; the rest keeps the defaults. */
export type ShieldOptionsInput = { readonly [K in keyof ShieldOptions]?: Partial<ShieldOptions[K]> };

/**
 * The shield's defaults (frozen, nested objects too), from specs/cross-app-shield.md: each
 * detector's full score is the base impact of its event type.
 * @example SHIELD_DEFAULTS.impossibleTravel.maxSpeedKmh; // 900
 */
export const SHIELD_DEFAULTS: ShieldOptions = Object.freeze({
  signalEvents: SIGNAL_EVENT_DEFAULTS,
  deviceReuse: DEVICE_REUSE_DEFAULTS,
  velocitySpike: VELOCITY_SPIKE_DEFAULTS,
  impossibleTravel: IMPOSSIBLE_TRAVEL_DEFAULTS,
  winRate: WIN_RATE_DEFAULTS,
  paymentRisk: PAYMENT_RISK_DEFAULTS,
  botBehavior: BOT_BEHAVIOR_DEFAULTS,
  ipReputation: IP_REPUTATION_DEFAULTS,
  activityTiming: ACTIVITY_TIMING_DEFAULTS,
  accountTakeover: ACCOUNT_TAKEOVER_DEFAULTS,
});

/** Detector id of each options key. @example SHIELD_DETECTOR_IDS.deviceReuse; // 'shield.device_reuse' */
export const SHIELD_DETECTOR_IDS = Object.freeze({
  signalEvents: 'shield.signal_event',
  deviceReuse: 'shield.device_reuse',
  velocitySpike: 'shield.velocity_spike',
  impossibleTravel: 'shield.impossible_travel',
  winRate: 'shield.win_rate_anomaly',
  paymentRisk: 'shield.payment_risk',
  botBehavior: 'shield.bot_behavior',
  ipReputation: 'shield.ip_reputation',
  activityTiming: 'shield.activity_timing',
  accountTakeover: 'shield.account_takeover',
} as const satisfies Record<keyof ShieldOptions, string>);

/**
 * Schema of an app's shield configuration: every detector and every field optional, unknown
 * keys rejected. Validate with `typebox/compile`, then pass to {@link createShieldDetectors}.
 * @example Compile(ShieldOptionsSchema).Check({ impossibleTravel: { maxSpeedKmh: 1000 } }); // true
 */
export const ShieldOptionsSchema = Type.Object(
  {
    signalEvents: Type.Optional(SignalEventOptionsSchema),
    deviceReuse: Type.Optional(DeviceReuseOptionsSchema),
    velocitySpike: Type.Optional(VelocitySpikeOptionsSchema),
    impossibleTravel: Type.Optional(ImpossibleTravelOptionsSchema),
    winRate: Type.Optional(WinRateOptionsSchema),
    paymentRisk: Type.Optional(PaymentRiskOptionsSchema),
    botBehavior: Type.Optional(BotBehaviorOptionsSchema),
    ipReputation: Type.Optional(IpReputationOptionsSchema),
    activityTiming: Type.Optional(ActivityTimingOptionsSchema),
    accountTakeover: Type.Optional(AccountTakeoverOptionsSchema),
  },
  { additionalProperties: false, description: 'Cross-app shield detectors' },
);

/** The configuration as validated by {@link ShieldOptionsSchema}. */
export type ShieldOptionsConfig = Static<typeof ShieldOptionsSchema>;

/**
 * Resolves an app's options against the defaults (per detector, shallowly).
 * @example resolveShieldOptions({ deviceReuse: { minAccounts: 4 } }).deviceReuse.windowMs; // 7 days
 */
export function resolveShieldOptions(opts: ShieldOptionsInput = {}): ShieldOptions {
  const d = SHIELD_DEFAULTS;
  const signalEvents = mergeOptions(d.signalEvents, opts.signalEvents);
  return Object.freeze({
    signalEvents: Object.freeze({ ...signalEvents, impacts: Object.freeze({ ...signalEvents.impacts }) }),
    deviceReuse: mergeOptions(d.deviceReuse, opts.deviceReuse),
    velocitySpike: mergeOptions(d.velocitySpike, opts.velocitySpike),
    impossibleTravel: mergeOptions(d.impossibleTravel, opts.impossibleTravel),
    winRate: mergeOptions(d.winRate, opts.winRate),
    paymentRisk: mergeOptions(d.paymentRisk, opts.paymentRisk),
    botBehavior: mergeOptions(d.botBehavior, opts.botBehavior),
    ipReputation: mergeOptions(d.ipReputation, opts.ipReputation),
    activityTiming: mergeOptions(d.activityTiming, opts.activityTiming),
    accountTakeover: mergeOptions(d.accountTakeover, opts.accountTakeover),
  });
}

/**
 * The shield's detectors for one app configuration, enabled ones only, in rule order (signal
 * events first). Each detector's options are its defaults overridden field by field.
 * @example
 * const detectors = createShieldDetectors({ velocitySpike: { maxPerWindow: 50 }, winRate: { enabled: false } });
 */
export function createShieldDetectors(opts: ShieldOptionsInput = {}): Detector[] {
  const o = resolveShieldOptions(opts);
  const out: Detector[] = [];
  if (o.signalEvents.enabled) out.push(createSignalEventDetector(o.signalEvents));
  if (o.deviceReuse.enabled) out.push(createDeviceReuseDetector(o.deviceReuse));
  if (o.velocitySpike.enabled) out.push(createVelocitySpikeDetector(o.velocitySpike));
  if (o.impossibleTravel.enabled) out.push(createImpossibleTravelDetector(o.impossibleTravel));
  if (o.winRate.enabled) out.push(createWinRateDetector(o.winRate));
  if (o.paymentRisk.enabled) out.push(createPaymentRiskDetector(o.paymentRisk));
  if (o.botBehavior.enabled) out.push(createBotBehaviorDetector(o.botBehavior));
  if (o.ipReputation.enabled) out.push(createIpReputationDetector(o.ipReputation));
  if (o.activityTiming.enabled) out.push(createActivityTimingDetector(o.activityTiming));
  if (o.accountTakeover.enabled) out.push(createAccountTakeoverDetector(o.accountTakeover));
  return out;
}
