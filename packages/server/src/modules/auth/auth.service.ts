import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import { ADMIN_ROLES, type AdminRole, type KeyRole } from '../../storage/schema.js';
import { ulid } from '../../storage/ulid.js';
import type { ApiKeyRecord, ApiKeyStore } from './api-key.store.js';

/** Who is calling: the key's id, role and, for app keys, the app. */
export interface Principal {
  readonly keyId: string;
  readonly role: KeyRole;
  /** Set for app keys only. */
  readonly appId: string | null;
}

/** A key as shown once at creation: the secret plus its stored record. */
export interface IssuedKey {
  readonly key: string;
  readonly record: ApiKeyRecord;
}

/** Options of {@link createAuthService}. */
export interface AuthServiceOptions {
  /** How long a looked-up key is trusted without asking the database again (default 2 s). */
  readonly cacheMs?: number;
  /** How often `last_used_at` is written per key at most (default 60 s). */
  readonly touchEveryMs?: number;
  /** Called when a background `last_used_at` write fails. */
  readonly onTouchError?: (err: unknown) => void;
}

/** Authentication and key management. */
export interface AuthService {
  /** The principal of an `Authorization` header value; throws `unauthorized` for a missing, unknown or revoked key. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /** Drops a key from the lookup cache, so its revocation takes effect at once in this process. */
  forget(keyId: string): void;
}

const KEY_PREFIX = 'vgl_';
const PREFIX_SHOWN = 12;
const BEARER_RE = /^Bearer\s+(\S{8,256})\s*$/i;

/** sha256 of a key, hex: what the database stores. @example hashKey('vgl_abc') */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new random key: `vgl_` and 43 base64url characters (256 bits). @example generateKey() */
export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Whether `role` is at least `min`; app keys hold no admin role. @example hasAdminRole('admin', 'viewer') // true */
export function hasAdminRole(role: KeyRole, min: AdminRole): boolean {
  if (role === 'app') return false;
  return ADMIN_ROLES.indexOf(role) >= ADMIN_ROLES.indexOf(min);
}

/** What {@link issueKey} needs to know about the new key. */
export interface KeySpec {
  readonly appId: string | null;
  readonly role: KeyRole;
  readonly name: string;
  /** A chosen key (VIGIL_ADMIN_KEY); default a new random one. */
  readonly key?: string | undefined;
}

/**
 * Creates and stores a key (only its hash and prefix are kept). Usable inside a transaction.
 * @example const { key } = await issueKey({ keys: createApiKeyStore(tx), clock }, { appId, role: 'app', name: 'default' });
 */
export async function issueKey(
  deps: { readonly keys: ApiKeyStore; readonly clock: Clock },
  spec: KeySpec,
): Promise<IssuedKey> {
  const key = spec.key ?? generateKey();
  const now = deps.clock.now();
  const record: ApiKeyRecord = {
    id: ulid(now),
    appId: spec.appId,
    role: spec.role,
    name: spec.name,
    prefix: key.slice(0, PREFIX_SHOWN),
    createdAt: now,
    lastUsedAt: null,
    revokedAt: null,
  };
  await deps.keys.insert(record, hashKey(key));
  return { key, record };
}

/**
 * Creates the auth service over a key store.
 * @example
 * const auth = createAuthService({ keys: createApiKeyStore(db), clock: { now: Date.now } });
 * const principal = await auth.authenticate(req.headers.authorization);
 */
export function createAuthService(
  deps: { readonly keys: ApiKeyStore; readonly clock: Clock },
  opts: AuthServiceOptions = {},
): AuthService {
  const { keys, clock } = deps;
  const cacheMs = opts.cacheMs ?? 2000;
  const touchEveryMs = opts.touchEveryMs ?? 60_000;
  const cache = new Map<string, { readonly record: ApiKeyRecord | undefined; readonly until: number }>();
  const touched = new Map<string, number>();

  return {
    async authenticate(authorization) {
      if (authorization === undefined || authorization === '') {
        throw new DomainError('unauthorized', 'missing Authorization: Bearer <api key> header');
      }
      const m = BEARER_RE.exec(authorization);
      if (m === null)
        throw new DomainError('unauthorized', 'Authorization header must be "Bearer <api key>"');
      const hash = hashKey(m[1]!);
      const now = clock.now();
      let hit = cache.get(hash);
      if (hit === undefined || hit.until < now) {
        hit = { record: await keys.findByHash(hash), until: now + cacheMs };
        if (cache.size > 10_000) cache.clear();
        cache.set(hash, hit);
      }
      const record = hit.record;
      if (record === undefined) throw new DomainError('unauthorized', 'unknown API key');
      if (record.revokedAt !== null) throw new DomainError('unauthorized', 'this API key has been revoked');
      const last = touched.get(record.id) ?? 0;
      if (now - last >= touchEveryMs) {
        touched.set(record.id, now);
        keys.touch(record.id, now).catch((err: unknown) => opts.onTouchError?.(err));
      }
      return { keyId: record.id, role: record.role, appId: record.appId };
    },
    forget(keyId) {
      for (const [hash, entry] of cache) if (entry.record?.id === keyId) cache.delete(hash);
    },
  };
}
