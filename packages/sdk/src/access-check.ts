import type { RequestLike } from './request-info.js';
import type { UserStatus } from './wire-types.js';

/**
 * The `error` codes of the middleware's refusals.
 * @example if (body.error === 'feature_restricted') showBanner(body.feature);
 */
export const ACCESS_DENIAL_CODES = [
  /** 403: the user is blocked or banned. */
  'user_blocked',
  /** 403: the user is suspended (`until` tells when it ends, if it does). */
  'user_suspended',
  /** 403: this feature is restricted for the user (`feature` names it). */
  'feature_restricted',
  /** 503: Vigil could not answer and the middleware fails closed. */
  'vigil_unavailable',
  /** 401: `requireUser` is set and `getUserId` found no user. */
  'user_required',
] as const;
/** @example const c: AccessDenialCode = 'user_blocked'; */
export type AccessDenialCode = (typeof ACCESS_DENIAL_CODES)[number];

/**
 * The JSON body of a refusal.
 * @example { "error": "user_suspended", "message": "Your account is suspended until 2025-01-01T00:00:00.000Z.", "until": "2025-01-01T00:00:00.000Z" }
 */
export interface AccessDenial {
  readonly error: AccessDenialCode;
  readonly message: string;
  /** ISO 8601 end of a suspension; absent when it lasts until lifted. */
  readonly until?: string;
  readonly feature?: string;
}

/**
 * Decides from a status alone whether the user may go on: blocked first, then an unexpired
 * suspension, then the feature's restriction. Undefined means allowed.
 * @example
 * const denial = checkAccess(await vigil.getUserStatus('u1'), { feature: 'withdrawals' });
 * if (denial) return res.status(403).json(denial);
 */
export function checkAccess(
  status: UserStatus,
  opts: { readonly feature?: string | undefined; readonly now?: number } = {},
): AccessDenial | undefined {
  if (status.blocked) return { error: 'user_blocked', message: 'This account is blocked.' };
  const until = status.suspendedUntil;
  if (status.suspended && (until === null || until > (opts.now ?? Date.now()))) {
    if (until === null) return { error: 'user_suspended', message: 'This account is suspended.' };
    const iso = new Date(until).toISOString();
    return { error: 'user_suspended', message: `This account is suspended until ${iso}.`, until: iso };
  }
  const feature = opts.feature;
  if (feature !== undefined && status.restrictedFeatures.includes(feature)) {
    return {
      error: 'feature_restricted',
      message: `'${feature}' is not available to this account.`,
      feature,
    };
  }
  return undefined;
}

/**
 * What the middleware needs of a {@link Vigil} client (a fake fits in tests).
 * @example const source: StatusSource = vigil;
 */
export interface StatusSource {
  getUserStatus(user: string): Promise<UserStatus>;
  readonly failOpen: boolean;
}

/**
 * Options of the Express and Fastify middleware.
 * @example
 * const opts: StatusCheckOptions<express.Request> = { vigil, getUserId: (req) => req.session?.userId };
 */
export interface StatusCheckOptions<Req> {
  /** The client that answers user statuses. */
  readonly vigil: StatusSource;
  /** The user id of a request (from your session or token); no id lets the request through unless `requireUser`. */
  readonly getUserId: (req: Req) => string | null | undefined | Promise<string | null | undefined>;
  /** Let requests through when Vigil cannot answer; default the client's `failOpen`. */
  readonly failOpen?: boolean;
  /** Answer 401 `user_required` when `getUserId` finds no user; default false. */
  readonly requireUser?: boolean;
  /** Hears why Vigil could not answer (for logs and metrics); the policy applies either way. */
  readonly onError?: (err: unknown, req: Req) => void;
}

/**
 * The middleware's verdict on one request.
 * @example const v: AccessVerdict = await resolveAccess(req, opts); if (!v.allowed) send(v.httpStatus, v.body);
 */
export type AccessVerdict =
  | { readonly allowed: true; readonly status: UserStatus | undefined }
  | { readonly allowed: false; readonly httpStatus: 401 | 403 | 503; readonly body: AccessDenial };

/**
 * The framework-free core of `checkStatus` and `checkFeatureAccess`: resolves the user, reads the
 * status (cached by the client) and applies the fail-open / fail-closed policy.
 * @example
 * const v = await resolveAccess(req, { vigil, getUserId: (r) => headerValue(r.headers, 'x-user') }, 'betting');
 */
export async function resolveAccess<Req>(
  req: Req,
  opts: StatusCheckOptions<Req>,
  feature?: string,
): Promise<AccessVerdict> {
  const user = await opts.getUserId(req);
  if (user === undefined || user === null || user === '') {
    if (opts.requireUser === true) {
      return {
        allowed: false,
        httpStatus: 401,
        body: { error: 'user_required', message: 'Sign in to use this.' },
      };
    }
    return { allowed: true, status: undefined };
  }
  let status: UserStatus;
  try {
    status = await opts.vigil.getUserStatus(user);
  } catch (err) {
    opts.onError?.(err, req);
    if (opts.failOpen ?? opts.vigil.failOpen) return { allowed: true, status: undefined };
    return {
      allowed: false,
      httpStatus: 503,
      body: { error: 'vigil_unavailable', message: 'Account checks are unavailable; try again shortly.' },
    };
  }
  const denial = checkAccess(status, { feature });
  if (denial !== undefined) return { allowed: false, httpStatus: 403, body: denial };
  return { allowed: true, status };
}

/** The request shape middleware options default to when `getUserId` is not annotated. @example const r: DefaultRequest = { headers: {} }; */
export type DefaultRequest = RequestLike;
