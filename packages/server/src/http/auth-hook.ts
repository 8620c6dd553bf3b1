import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';
import { hasAdminRole, type AuthService, type Principal } from '../modules/auth/auth.service.js';
import type { AdminRole } from '../storage/schema.js';
import type { RateLimiter } from './rate-limit.js';

/**
 * Who may call a route: `none` (public), `app` (app keys only), `app-or-viewer` (an app key for its
 * own app, or an admin key with at least the viewer role), or a minimum admin role.
 */
export type RouteAuth = 'none' | 'app' | 'app-or-viewer' | AdminRole;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route; routes without it need an admin key (fail closed). */
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

function allowed(p: Principal, auth: Exclude<RouteAuth, 'none'>): boolean {
  switch (auth) {
    case 'app':
      return p.role === 'app';
    case 'app-or-viewer':
      return p.role === 'app' || hasAdminRole(p.role, 'viewer');
    case 'viewer':
    case 'analyst':
    case 'admin':
      return hasAdminRole(p.role, auth);
  }
}

function denial(auth: Exclude<RouteAuth, 'none'>): string {
  switch (auth) {
    case 'app':
      return 'this route needs an app API key';
    case 'app-or-viewer':
      return 'this route needs an app key or an admin key with the viewer role';
    case 'viewer':
    case 'analyst':
    case 'admin':
      return `this route needs an admin key with the ${auth} role or higher`;
  }
}

/**
 * Authenticates every request before its body is read (401 bad key, 403 wrong role) and applies
 * the per-key rate limit (429 with Retry-After).
 * @example registerAuth(app, { auth, limiter });
 */
export function registerAuth(
  app: FastifyInstance,
  deps: { readonly auth: AuthService; readonly limiter: RateLimiter },
): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    if (req.is404) return;
    const url = req.routeOptions.url ?? '';
    if (url === '/docs' || url.startsWith('/docs/')) return;
    const need = req.routeOptions.config.auth ?? 'admin';
    if (need === 'none') return;
    const principal = await deps.auth.authenticate(req.headers.authorization);
    if (!allowed(principal, need)) throw new DomainError('forbidden', denial(need));
    const verdict = deps.limiter.take(principal.keyId);
    if (!verdict.ok) {
      throw new DomainError('rate_limited', 'too many requests for this API key', {
        retryAfterSeconds: verdict.retryAfterSeconds,
      });
    }
    req.principal = principal;
  });
}

/** The authenticated principal of a route that requires one. */
export function principalOf(req: FastifyRequest): Principal {
  if (req.principal === null) throw new DomainError('unauthorized', 'authentication required');
  return req.principal;
}

/**
 * The app a request may act on: an app key's own app (asking for another is 403), or for admin
 * keys the requested app (possibly none, meaning every app).
 * @example const appId = appScope(req, req.query.app);
 */
export function appScope(req: FastifyRequest, requested: string | undefined): string | undefined {
  const p = principalOf(req);
  if (p.role === 'app') {
    if (requested !== undefined && requested !== p.appId) {
      throw new DomainError('forbidden', "an app key can only access its own app's data");
    }
    return p.appId ?? undefined;
  }
  return requested;
}

/** Like {@link appScope}, but an admin key must name the app (`?app=`). */
export function requiredAppScope(req: FastifyRequest, requested: string | undefined): string {
  const appId = appScope(req, requested);
  if (appId === undefined) {
    throw new DomainError('bad_request', 'admin keys must name the app', {
      details: [{ path: '/app', message: 'required for admin keys' }],
    });
  }
  return appId;
}
