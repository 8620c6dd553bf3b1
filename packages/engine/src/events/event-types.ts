/** Every built-in event type. Apps may also send `custom:<name>`. */
export const ACTIVITY_EVENT_TYPES = [
  'signup',
  'login',
  'payment',
  'transfer',
  'withdrawal',
  'chargeback',
  'referral',
  'upload',
  'wallet_connect',
  'nft_listing',
  'game_bet',
  'game_result',
  'social',
  'report',
  'behavior',
] as const;

/** The cross-app shield's signal event types, each with its base risk impact (specs/cross-app-shield.md). */
export const SIGNAL_EVENT_IMPACTS = {
  fraud_signal: 0.8,
  cheat_signal: 0.7,
  user_report: 0.6,
  payment_risk: 0.9,
  behavioral_anomaly: 0.5,
  device_reuse: 0.8,
  velocity_spike: 0.6,
  impossible_travel: 0.7,
  bot_detection: 0.8,
  chargeback_signal: 0.9,
  ip_reputation: 0.6,
  win_rate_anomaly: 0.7,
} as const;

export type ActivityEventType = (typeof ACTIVITY_EVENT_TYPES)[number];
export type SignalEventType = keyof typeof SIGNAL_EVENT_IMPACTS;
export const SIGNAL_EVENT_TYPES = Object.keys(SIGNAL_EVENT_IMPACTS) as readonly SignalEventType[];
export const BUILTIN_EVENT_TYPES: readonly BuiltinEventType[] = [
  ...ACTIVITY_EVENT_TYPES,
  ...SIGNAL_EVENT_TYPES,
];
export type BuiltinEventType = ActivityEventType | SignalEventType;
export type CustomEventType = `custom:${string}`;
export type EventType = BuiltinEventType | CustomEventType;

const BUILTIN = new Set<string>(BUILTIN_EVENT_TYPES);
const CUSTOM_RE = /^custom:[a-z0-9][a-z0-9_.-]{0,62}$/;

/** @example isEventType('login'); // true  isEventType('custom:quest_done'); // true */
export function isEventType(x: string): x is EventType {
  return BUILTIN.has(x) || CUSTOM_RE.test(x);
}

/** @example isSignalEventType('fraud_signal'); // true */
export function isSignalEventType(x: string): x is SignalEventType {
  return Object.prototype.hasOwnProperty.call(SIGNAL_EVENT_IMPACTS, x);
}

/** User tiers of the shield's enforcement matrix, lowest first. */
export const TIERS = ['guest', 'bronze', 'silver', 'gold', 'vip', 'platinum'] as const;
export type Tier = (typeof TIERS)[number];

/** Money-moving event types: the transaction analyzers look at these. */
export const MONEY_EVENT_TYPES = [
  'payment',
  'transfer',
  'withdrawal',
] as const satisfies readonly ActivityEventType[];
