/**
 * The wire types of Vigil's HTTP API, as the SDK sees them. They mirror the server's JSON (the
 * engine's `EventInput`, `Decision` and the user status route) but are declared here so the SDK has
 * no dependency on the engine.
 */

/**
 * Built-in activity event types. Apps may also send `custom:<name>`.
 * @example ACTIVITY_EVENT_TYPES.includes('login'); // true
 */
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
/** @example const t: ActivityEventType = 'payment'; */
export type ActivityEventType = (typeof ACTIVITY_EVENT_TYPES)[number];

/**
 * The cross-app shield's signal event types: an app reports something it saw about a user.
 * @example SIGNAL_EVENT_TYPES.includes('fraud_signal'); // true
 */
export const SIGNAL_EVENT_TYPES = [
  'fraud_signal',
  'cheat_signal',
  'user_report',
  'payment_risk',
  'behavioral_anomaly',
  'device_reuse',
  'velocity_spike',
  'impossible_travel',
  'bot_detection',
  'chargeback_signal',
  'ip_reputation',
  'win_rate_anomaly',
] as const;
/** @example const t: SignalEventType = 'cheat_signal'; */
export type SignalEventType = (typeof SIGNAL_EVENT_TYPES)[number];

/** @example const t: EventType = 'custom:quest_done'; */
export type EventType = ActivityEventType | SignalEventType | `custom:${string}`;

/**
 * User tiers of the shield's enforcement matrix, lowest first.
 * @example TIERS[0]; // 'guest'
 */
export const TIERS = ['guest', 'bronze', 'silver', 'gold', 'vip', 'platinum'] as const;
/** @example const tier: Tier = 'gold'; */
export type Tier = (typeof TIERS)[number];

/** Scalar values allowed in an event's free `attrs` map. @example const v: AttrValue = 42; */
export type AttrValue = string | number | boolean | null;

/** Latitude/longitude in degrees, optional ISO 3166 alpha-2 country. @example const g: Geo = { lat: 48.85, lon: 2.35, country: 'FR' }; */
export interface Geo {
  readonly lat: number;
  readonly lon: number;
  readonly country?: string;
}

/**
 * One event as the app sends it. `id` is the idempotency key: the SDK generates one when it is
 * missing, and re-sending the same id (as retries do) answers the first decision.
 * @example const e: EventInput = { type: 'login', user: 'u1', ip: '203.0.113.7' };
 */
export interface EventInput {
  readonly id?: string;
  readonly type: EventType;
  /** Event time: epoch milliseconds or ISO 8601. Defaults to the time the server receives it. */
  readonly at?: number | string;
  readonly user?: string;
  readonly tier?: Tier;
  readonly amount?: number;
  readonly currency?: string;
  readonly ip?: string;
  readonly device?: string;
  readonly userAgent?: string;
  readonly geo?: Geo;
  readonly wallet?: string;
  readonly counterparty?: string;
  readonly merchant?: string;
  readonly terminal?: string;
  readonly email?: string;
  readonly referrer?: string;
  readonly contentHash?: string;
  readonly session?: string;
  readonly attrs?: Readonly<Record<string, AttrValue>>;
}

/** Risk levels over the 0..100 score. @example RISK_LEVELS.indexOf('HIGH'); // 3 */
export const RISK_LEVELS = ['SAFE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
/** @example const l: RiskLevel = 'CRITICAL'; */
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** Flag colours. @example FLAG_COLORS[2]; // 'RED' */
export const FLAG_COLORS = ['GREEN', 'YELLOW', 'RED'] as const;
/** @example const f: FlagColor = 'YELLOW'; */
export type FlagColor = (typeof FLAG_COLORS)[number];

/** Decision outcomes, weakest first. @example OUTCOMES.at(-1); // 'block' */
export const OUTCOMES = ['allow', 'challenge', 'review', 'block'] as const;
/** @example if (decision.outcome === 'block') deny(); */
export type Outcome = (typeof OUTCOMES)[number];

/** Access levels, most open first. @example ACCESS_LEVELS[0]; // 'FULL' */
export const ACCESS_LEVELS = ['FULL', 'RESTRICTED', 'LIMITED', 'MINIMAL'] as const;
/** @example const a: AccessLevel = 'LIMITED'; */
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** Enforcement actions, weakest first. @example ENFORCEMENT_ACTIONS.includes('temp_suspend'); // true */
export const ENFORCEMENT_ACTIONS = [
  'observe',
  'soft_restrict',
  'suspend_features',
  'temp_suspend',
  'auto_block',
  'permanent_ban',
] as const;
/** @example const a: EnforcementAction = 'auto_block'; */
export type EnforcementAction = (typeof ENFORCEMENT_ACTIONS)[number];

/** How bad a signal is on its own. @example SEVERITIES.at(-1); // 'critical' */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
/** @example const s: Severity = 'high'; */
export type Severity = (typeof SEVERITIES)[number];

/** Evidence values a signal carries. @example const v: EvidenceValue = ['1.2.3.4', 3]; */
export type EvidenceValue = string | number | boolean | null | readonly (string | number)[];

/**
 * One finding of a detector or rule.
 * @example decision.signals.map((s: Signal) => s.code); // ['travel.impossible']
 */
export interface Signal {
  /** Stable machine code, `detector.finding`. */
  readonly code: string;
  /** 0..1: how strongly this finding indicates fraud or abuse. */
  readonly score: number;
  readonly severity: Severity;
  readonly category: string;
  /** One sentence an analyst can read. */
  readonly reason: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly alert?: string;
  readonly action?: Outcome;
}

/**
 * The enforcement the app's tier matrix asks for.
 * @example if (decision.enforcement.action === 'temp_suspend') logout(user);
 */
export interface EnforcementPlan {
  readonly action: EnforcementAction;
  readonly tier: Tier;
  /** How long it lasts; absent means until lifted. */
  readonly durationMs?: number;
  /** Features restricted by soft_restrict / suspend_features. */
  readonly features?: readonly string[];
  readonly requiresReview: boolean;
  readonly reviewSlaMs: number;
}

/**
 * A deployed model's score for the event.
 * @example decision.models.filter((m: ModelScore) => m.live);
 */
export interface ModelScore {
  readonly model: string;
  readonly version?: string;
  readonly score: number;
  readonly live: boolean;
  readonly contributions: readonly { readonly feature: string; readonly value: number }[];
}

/**
 * Vigil's answer to one event.
 * @example
 * const d: Decision = await vigil.score({ type: 'withdrawal', user: 'u1', amount: 900 });
 * if (d.outcome === 'block') throw new Error(d.explanation.join(' '));
 */
export interface Decision {
  readonly eventId: string;
  readonly app: string;
  readonly user?: string;
  /** Combined risk 0..1. */
  readonly risk: number;
  /** risk × 100, rounded. */
  readonly score: number;
  readonly level: RiskLevel;
  readonly flag: FlagColor;
  readonly outcome: Outcome;
  readonly confidence: number;
  /** Behaviour score 0..100, higher is more trustworthy. */
  readonly behaviorScore: number;
  readonly accessLevel: AccessLevel;
  readonly captcha: boolean;
  readonly enforcement: EnforcementPlan;
  readonly analyzers?: Readonly<Record<string, number>>;
  readonly anomalies: readonly string[];
  readonly alerts: readonly string[];
  /** Strongest first. */
  readonly signals: readonly Signal[];
  readonly models: readonly ModelScore[];
  /** Plain sentences, strongest reason first. */
  readonly explanation: readonly string[];
  readonly failures: readonly { readonly detector: string; readonly error: string }[];
}

/**
 * One active enforcement in a user's status.
 * @example status.enforcements.filter((e: StatusEnforcement) => e.expiresAt !== null);
 */
export interface StatusEnforcement {
  readonly id: string;
  readonly action: string;
  readonly status: string;
  /** Epoch ms; null means until lifted. */
  readonly expiresAt: number | null;
  readonly features: readonly string[];
}

/**
 * What middleware needs to know about a user (`GET /v1/users/:id/status`). An unknown user
 * gets a clean status (`blocked: false`, no restrictions).
 * @example
 * const s: UserStatus = await vigil.getUserStatus('u1');
 * if (s.restrictedFeatures.includes('withdrawals')) hideWithdrawButton();
 */
export interface UserStatus {
  readonly user: string;
  readonly app: string;
  readonly blocked: boolean;
  readonly suspended: boolean;
  /** Epoch ms the suspension ends; null when not suspended or suspended until lifted. */
  readonly suspendedUntil: number | null;
  readonly restrictedFeatures: readonly string[];
  readonly accessLevel: AccessLevel;
  readonly behaviorScore: number;
  readonly risk: number;
  readonly enforcements: readonly StatusEnforcement[];
}

/**
 * The kinds of webhook deliveries Vigil sends.
 * @example WEBHOOK_EVENT_TYPES.filter((t) => t.startsWith('enforcement.'));
 */
export const WEBHOOK_EVENT_TYPES = [
  'enforcement.created',
  'enforcement.updated',
  'enforcement.lifted',
  'decision.high_risk',
  'case.resolved',
  'score.updated',
  'anomaly.alert',
  'access.logged',
] as const;
/** @example const t: WebhookEventType = 'enforcement.lifted'; */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * A verified webhook delivery. `type` is one of {@link WEBHOOK_EVENT_TYPES} today; a newer
 * server may send other kinds, so receivers should ignore types they do not know.
 * @example
 * const p: WebhookPayload = verifyWebhook(req.headers, rawBody, secret);
 * if (p.type === 'enforcement.created') notify(p.data['user']);
 */
export interface WebhookPayload {
  readonly type: WebhookEventType | (string & Record<never, never>);
  readonly app: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** When the server produced it: epoch ms (or ISO 8601). */
  readonly at: number | string;
}
