import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import type { KeyRole } from '../../storage/schema.js';
import { createAppStore } from '../apps/app.store.js';
import { createAuditStore } from '../audit/audit.store.js';
import { createApiKeyStore, type ApiKeyRecord } from './api-key.store.js';
import { hashKey, issueKey, type IssuedKey } from './auth.service.js';

/** What to create: an app key (`role: 'app'` with `appId`) or an admin key (no app). */
export interface NewKey {
  readonly role: KeyRole;
  readonly appId?: string | undefined;
  readonly name?: string | undefined;
  /** A chosen secret (VIGIL_ADMIN_KEY); default random. */
  readonly key?: string | undefined;
}

/** Key management: every change is audit-logged in the same transaction. */
export interface KeyService {
  create(spec: NewKey, actor: string): Promise<IssuedKey>;
  list(filter?: {
    readonly appId?: string;
    readonly includeRevoked?: boolean;
  }): Promise<readonly ApiKeyRecord[]>;
  /** Throws `key_not_found` when there is no such live key. */
  revoke(id: string, actor: string): Promise<ApiKeyRecord>;
  /**
   * First start: with `key` (VIGIL_ADMIN_KEY), stores it as an admin key unless it is already
   * known (a revoked one stays revoked); without, creates a random admin key when no live admin
   * key exists. Returns the key it created, or undefined.
   */
  ensureAdminKey(key: string | undefined): Promise<IssuedKey | undefined>;
}

/**
 * @example const keys = createKeyService({ db, clock, forget: (id) => auth.forget(id) }); const { key } = await keys.create({ role: 'viewer' }, 'cli');
 */
export function createKeyService(deps: {
  readonly db: Db;
  readonly clock: Clock;
  /** Told about revocations, to drop the key from its cache (the auth service's `forget`). */
  readonly forget?: (keyId: string) => void;
}): KeyService {
  const { db, clock } = deps;

  async function create(spec: NewKey, actor: string): Promise<IssuedKey> {
    if (spec.role === 'app' && spec.appId === undefined) {
      throw new DomainError('bad_request', 'an app key needs an app', {
        details: [{ path: '/app', message: 'required when role is app' }],
      });
    }
    if (spec.role !== 'app' && spec.appId !== undefined) {
      throw new DomainError('bad_request', 'admin keys are not scoped to an app', {
        details: [{ path: '/app', message: `must be absent when role is ${spec.role}` }],
      });
    }
    return db.transaction(async (tx) => {
      const appId = spec.role === 'app' ? (spec.appId ?? null) : null;
      if (appId !== null && (await createAppStore(tx).get(appId)) === undefined) {
        throw new DomainError('app_not_found', `no app with id '${appId}'`);
      }
      const issued = await issueKey(
        { keys: createApiKeyStore(tx), clock },
        { appId, role: spec.role, name: spec.name ?? 'default', key: spec.key },
      );
      await createAuditStore(tx).append(
        {
          actor,
          action: 'key.create',
          appId,
          target: issued.record.id,
          details: { role: spec.role, name: issued.record.name, prefix: issued.record.prefix },
        },
        clock.now(),
      );
      return issued;
    });
  }

  return {
    create,
    list: (filter) => createApiKeyStore(db).list(filter),
    async revoke(id, actor) {
      const record = await db.transaction(async (tx) => {
        const keys = createApiKeyStore(tx);
        const found = await keys.get(id);
        if (found === undefined || !(await keys.revoke(id, clock.now()))) {
          throw new DomainError('key_not_found', `no live API key with id '${id}'`);
        }
        await createAuditStore(tx).append(
          { actor, action: 'key.revoke', appId: found.appId, target: id, details: { prefix: found.prefix } },
          clock.now(),
        );
        return found;
      });
      deps.forget?.(id);
      return { ...record, revokedAt: clock.now() };
    },
    async ensureAdminKey(key) {
      const keys = createApiKeyStore(db);
      if (key !== undefined) {
        if ((await keys.findByHash(hashKey(key))) !== undefined) return undefined;
        return create({ role: 'admin', name: 'VIGIL_ADMIN_KEY', key }, 'system');
      }
      if ((await keys.countLiveAdminKeys()) > 0) return undefined;
      return create({ role: 'admin', name: 'initial admin', key }, 'system');
    },
  };
}
