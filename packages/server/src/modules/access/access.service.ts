import { ACCESS_LEVELS, accessLevelOf, type AccessLevel } from '@vigil/engine';
import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { createAuditStore } from '../audit/audit.store.js';
import type { ConfigService } from '../config/config.service.js';
import type { UserStore } from '../users/user.store.js';
import { checkUpload, type UploadCheck } from './upload-check.js';

/** Why access is refused. @example ACCESS_ERROR_CODES.includes('user_blocked'); // true */
export const ACCESS_ERROR_CODES = [
  'user_not_found',
  'user_blocked',
  'feature_restricted',
  'insufficient_access_level',
] as const;
export type AccessErrorCode = (typeof ACCESS_ERROR_CODES)[number];

/** One reason access is refused. */
export interface AccessError {
  readonly code: AccessErrorCode;
  readonly message: string;
}

/** The gatekeeper's answer for one user and resource. */
export interface AccessResult {
  readonly user: string;
  readonly resource: string | null;
  readonly accessGranted: boolean;
  readonly accessLevel: AccessLevel;
  /** The stored behaviour score 0..100 (null for a user Vigil has not seen). */
  readonly behaviorScore: number | null;
  /** The lowest level the resource needs. */
  readonly requiredLevel: AccessLevel;
  readonly status: string | null;
  readonly errors: readonly AccessError[];
}

/** An upload request with the user it is for. */
export interface UploadValidation extends UploadCheck {
  readonly user: string;
}

/** The asset gatekeeper: access levels from behaviour scores, and upload checks. */
export interface AccessService {
  /**
   * Access of a user to a resource from the user's stored behaviour score and the app's thresholds
   * in force, status and active enforcements; audit-logged. An unknown user throws `user_not_found`
   * unless `unknownUser` is `deny` (then the answer is a refusal with that error).
   */
  validateAccess(
    appId: string,
    q: { readonly user: string; readonly resource?: string | undefined },
    actor: string,
    opts?: { readonly unknownUser?: 'throw' | 'deny' },
  ): Promise<AccessResult>;
  /** Checks an upload against the app's upload limits; audit-logged. */
  validateUpload(
    appId: string,
    q: {
      readonly user: string;
      readonly filename: string;
      readonly contentType: string;
      readonly contentLength: number;
      readonly head?: Uint8Array | undefined;
    },
    actor: string,
  ): Promise<UploadValidation>;
}

/** Enforcement actions that keep the user out entirely. */
const BLOCKING_ACTIONS = new Set(['temp_suspend', 'auto_block', 'permanent_ban']);
const BLOCKED_STATUSES = new Set(['suspended', 'banned']);

function rank(level: AccessLevel): number {
  return ACCESS_LEVELS.indexOf(level);
}

/** Active enforcements of a user (the enforcement module writes them; the table may be empty). */
async function activeEnforcements(db: Db, appId: string, userId: string, now: number) {
  const rows = await db.kysely
    .selectFrom('enforcements')
    .select(['action', 'features'])
    .where('app_id', '=', appId)
    .where('user_id', '=', userId)
    .where('status', '=', 'active')
    .where('lifted_at', 'is', null)
    .where('starts_at', '<=', now)
    .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
    .execute();
  return rows.map((r) => {
    let features: string[] = [];
    try {
      const parsed: unknown = JSON.parse(r.features);
      if (Array.isArray(parsed)) features = parsed.filter((f): f is string => typeof f === 'string');
    } catch {
      features = [];
    }
    return { action: r.action, features };
  });
}

/**
 * Creates the gatekeeper service.
 * @example
 * const access = createAccessService({ db, clock, users: createUserStore(db), configs });
 * const r = await access.validateAccess(appId, { user: 'alice', resource: 'withdrawals' }, 'key:01J...');
 */
export function createAccessService(deps: {
  readonly db: Db;
  readonly clock: Clock;
  readonly users: Pick<UserStore, 'get'>;
  readonly configs: Pick<ConfigService, 'current'>;
}): AccessService {
  const { db, clock } = deps;
  const audit = createAuditStore(db);
  return {
    async validateAccess(appId, q, actor, opts = {}) {
      const config = deps.configs.current(appId);
      const gk = config.gatekeeper.access;
      const resource = q.resource ?? null;
      const requiredLevel = resource === null ? gk.minLevel : (gk.resources[resource] ?? gk.minLevel);
      const profile = await deps.users.get(appId, q.user);
      const now = clock.now();
      const errors: AccessError[] = [];
      let result: AccessResult;
      if (profile === undefined) {
        if (opts.unknownUser !== 'deny')
          throw new DomainError('user_not_found', `no user '${q.user}' in this app`);
        errors.push({
          code: 'user_not_found',
          message: `no user '${q.user}' in this app: send events for it first`,
        });
        result = {
          user: q.user,
          resource,
          accessGranted: false,
          accessLevel: 'MINIMAL',
          behaviorScore: null,
          requiredLevel,
          status: null,
          errors,
        };
      } else {
        const accessLevel = accessLevelOf(profile.behaviorScore, config.engine.access);
        const enforcements = await activeEnforcements(db, appId, q.user, now);
        if (
          BLOCKED_STATUSES.has(profile.status) ||
          enforcements.some((e) => BLOCKING_ACTIONS.has(e.action))
        ) {
          errors.push({
            code: 'user_blocked',
            message: `the user is ${BLOCKED_STATUSES.has(profile.status) ? profile.status : 'suspended'}`,
          });
        }
        if (resource !== null && enforcements.some((e) => e.features.includes(resource))) {
          errors.push({ code: 'feature_restricted', message: `'${resource}' is restricted for this user` });
        }
        if (rank(accessLevel) > rank(requiredLevel)) {
          errors.push({
            code: 'insufficient_access_level',
            message: `access level ${accessLevel} (behaviour score ${Math.round(profile.behaviorScore)}) is below the ${requiredLevel} ${resource === null ? 'required' : `'${resource}' requires`}`,
          });
        }
        result = {
          user: q.user,
          resource,
          accessGranted: errors.length === 0,
          accessLevel,
          behaviorScore: profile.behaviorScore,
          requiredLevel,
          status: profile.status,
          errors,
        };
      }
      await audit.append(
        {
          actor,
          action: 'access.validate',
          appId,
          target: q.user,
          details: {
            resource,
            granted: result.accessGranted,
            accessLevel: result.accessLevel,
            requiredLevel,
            behaviorScore: result.behaviorScore,
            configVersion: config.version,
            errors: errors.map((e) => e.code),
          },
        },
        now,
      );
      return result;
    },

    async validateUpload(appId, q, actor) {
      const config = deps.configs.current(appId);
      const check = checkUpload(q, config.gatekeeper.uploads);
      await audit.append(
        {
          actor,
          action: 'upload.validate',
          appId,
          target: q.user,
          details: {
            filename: check.filename.slice(0, 200),
            claimedType: check.claimedType.slice(0, 100),
            detectedType: check.detectedType,
            contentLength: check.contentLength,
            valid: check.valid,
            configVersion: config.version,
            errors: check.errors.map((e) => e.code),
          },
        },
        clock.now(),
      );
      return { user: q.user, ...check };
    },
  };
}
