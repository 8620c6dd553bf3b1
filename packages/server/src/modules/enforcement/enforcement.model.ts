import { ENFORCEMENT_ACTIONS, TIERS, type EnforcementAction, type Tier } from '@vigil/engine';

/**
 * Where an enforcement is in its life. `expired` is also what reads report for an `active` row
 * whose end has passed before the sweeper marked it.
 */
export const ENFORCEMENT_STATUSES = [
  'pending_approval',
  'active',
  'expired',
  'lifted',
  'rejected',
  'superseded',
] as const;
export type EnforcementStatus = (typeof ENFORCEMENT_STATUSES)[number];

/**
 * What an enforcement acts on: the whole `account` (suspensions, blocks, bans) or some
 * `features` (restrictions). A user has at most one active enforcement per app and kind.
 */
export const ENFORCEMENT_KINDS = ['account', 'features'] as const;
export type EnforcementKind = (typeof ENFORCEMENT_KINDS)[number];

/** Who started an enforcement: the tier matrix on a decision, or a person/app by hand. */
export const ENFORCEMENT_SOURCES = ['decision', 'manual'] as const;
export type EnforcementSource = (typeof ENFORCEMENT_SOURCES)[number];

/** Actions that can be applied (observe is no action). */
export type AppliedAction = Exclude<EnforcementAction, 'observe'>;

/** Applied actions, weakest first. @example APPLIED_ACTIONS[0]; // 'soft_restrict' */
export const APPLIED_ACTIONS = ENFORCEMENT_ACTIONS.filter((a): a is AppliedAction => a !== 'observe');

const RANK = {
  observe: 0,
  soft_restrict: 1,
  suspend_features: 2,
  temp_suspend: 3,
  auto_block: 4,
  permanent_ban: 5,
} as const satisfies Record<EnforcementAction, number>;

/** Strength of an action: observe < soft_restrict < suspend_features < temp_suspend < auto_block < permanent_ban. @example actionRank('auto_block'); // 4 */
export function actionRank(action: EnforcementAction): number {
  return RANK[action];
}

/** @example kindOf('temp_suspend'); // 'account' */
export function kindOf(action: AppliedAction): EnforcementKind {
  switch (action) {
    case 'soft_restrict':
    case 'suspend_features':
      return 'features';
    case 'temp_suspend':
    case 'auto_block':
    case 'permanent_ban':
      return 'account';
  }
}

/** Tiers whose permanent ban waits for a human's approval. */
export const APPROVAL_TIERS: readonly Tier[] = ['vip', 'platinum'];

/** @example needsApproval('permanent_ban', 'vip'); // true */
export function needsApproval(action: AppliedAction, tier: Tier | null): boolean {
  return action === 'permanent_ban' && tier !== null && APPROVAL_TIERS.includes(tier);
}

/** @example isAppliedAction('auto_block'); // true  isAppliedAction('observe'); // false */
export function isAppliedAction(s: string): s is AppliedAction {
  return (APPLIED_ACTIONS as readonly string[]).includes(s);
}

/** @example isTier('vip'); // true */
export function isTier(s: string): s is Tier {
  return (TIERS as readonly string[]).includes(s);
}

/** @example isEnforcementStatus('lifted'); // true */
export function isEnforcementStatus(s: string): s is EnforcementStatus {
  return (ENFORCEMENT_STATUSES as readonly string[]).includes(s);
}

/** An enforcement as the API shows it. Times are epoch ms. */
export interface Enforcement {
  readonly id: string;
  readonly appId: string;
  readonly userId: string;
  readonly action: AppliedAction;
  readonly kind: EnforcementKind;
  /** Effective status: an `active` one whose end passed reads as `expired`. */
  readonly status: EnforcementStatus;
  readonly tier: Tier | null;
  readonly source: EnforcementSource;
  readonly reason: string;
  readonly features: readonly string[];
  /** The decision (event seq) that started or last changed it. */
  readonly decisionSeq: number | null;
  readonly caseId: string | null;
  readonly startsAt: number;
  /** null: until lifted. */
  readonly endsAt: number | null;
  readonly liftedAt: number | null;
  readonly liftReason: string | null;
  readonly liftedBy: string | null;
  readonly requiresReview: boolean;
  readonly reviewDueAt: number | null;
  readonly reviewedAt: number | null;
  readonly reviewedBy: string | null;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Whether an enforcement restricts the user right now. @example isInForce(e, Date.now()) */
export function isInForce(e: Pick<Enforcement, 'status' | 'endsAt' | 'startsAt'>, now: number): boolean {
  return e.status === 'active' && e.startsAt <= now && (e.endsAt === null || e.endsAt > now);
}

/** The effective status of a stored row at `now`. @example effectiveStatus('active', 10, 20); // 'expired' */
export function effectiveStatus(
  stored: EnforcementStatus,
  endsAt: number | null,
  now: number,
): EnforcementStatus {
  return stored === 'active' && endsAt !== null && endsAt <= now ? 'expired' : stored;
}

/** The later of two ends, null meaning never. @example laterEnd(5, null); // null */
export function laterEnd(a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  return a > b ? a : b;
}

/** What a new request asks for. */
export interface DesiredEnforcement {
  readonly action: AppliedAction;
  readonly endsAt: number | null;
  readonly features: readonly string[];
}

/** What to do with the one in force when a new request for the same kind arrives. */
export type MergePlan =
  | { readonly kind: 'create' }
  | {
      readonly kind: 'update';
      /** `escalated`: a stronger action; `extended`: longer or more features, same action. */
      readonly change: 'escalated' | 'extended';
      readonly action: AppliedAction;
      readonly endsAt: number | null;
      readonly features: readonly string[];
    }
  | { readonly kind: 'unchanged' };

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

/**
 * How a request merges with the enforcement in force of the same kind. Escalation never shortens
 * or weakens: the stronger action wins, the end is the later one (none beats any), features add
 * up. A weaker request can only extend the one in force.
 * @example
 * mergeEnforcement({ action: 'temp_suspend', endsAt: 100, features: [] }, { action: 'auto_block', endsAt: 50, features: [] });
 * // { kind: 'update', change: 'escalated', action: 'auto_block', endsAt: 100, features: [] }
 */
export function mergeEnforcement(
  current: DesiredEnforcement | undefined,
  wanted: DesiredEnforcement,
): MergePlan {
  if (current === undefined) return { kind: 'create' };
  const endsAt = laterEnd(current.endsAt, wanted.endsAt);
  const features = union(current.features, wanted.features);
  if (actionRank(wanted.action) > actionRank(current.action)) {
    return { kind: 'update', change: 'escalated', action: wanted.action, endsAt, features };
  }
  const before = union(current.features, []);
  const sameFeatures = features.length === before.length && features.every((f, i) => f === before[i]);
  if (endsAt === current.endsAt && sameFeatures) return { kind: 'unchanged' };
  return { kind: 'update', change: 'extended', action: current.action, endsAt, features };
}

/** The user status an app sees, from the enforcements in force. */
export type EnforcedUserStatus = 'active' | 'restricted' | 'suspended' | 'banned';

/**
 * The user's status from the enforcements in force: banned, then suspended (temp suspend or
 * block), then restricted, else active.
 * @example userStatusOf([{ action: 'auto_block' }]); // 'suspended'
 */
export function userStatusOf(inForce: readonly Pick<Enforcement, 'action'>[]): EnforcedUserStatus {
  let status: EnforcedUserStatus = 'active';
  for (const e of inForce) {
    switch (e.action) {
      case 'permanent_ban':
        return 'banned';
      case 'temp_suspend':
      case 'auto_block':
        status = 'suspended';
        break;
      case 'soft_restrict':
      case 'suspend_features':
        if (status === 'active') status = 'restricted';
        break;
    }
  }
  return status;
}
