import { createHash } from 'node:crypto';
import type { EngineConfig, Problem } from '@vigil/engine';
import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { canonicalJson } from '../../storage/json.js';
import { isUniqueViolation } from '../../storage/sql-errors.js';
import type { AppService } from '../apps/app.service.js';
import { createAuditStore } from '../audit/audit.store.js';
import { DEFAULT_PARSED_CONFIG, parseConfigDocument, type ParsedConfig } from './config-document.js';
import { createConfigStore, type ConfigRecord, type ConfigVersionInfo } from './config.store.js';

/** One app's configuration in force: the parsed document and where it came from. */
export interface AppConfig extends ParsedConfig {
  readonly appId: string;
  /** 0 when the app never stored a configuration (the defaults apply). */
  readonly version: number;
  readonly createdAt: number | null;
  readonly createdBy: string | null;
}

/**
 * Prepares an app's new engine configuration before it is stored (build its engine: a throw
 * rejects the change) and returns the function that puts it in force once the change committed.
 * @example const prepare: ConfigApplier = (appId, config) => { const e = build(config); return () => install(appId, e); };
 */
export type ConfigApplier = (appId: string, config: EngineConfig) => () => void;

/** What {@link ConfigService.load} found. */
export interface ConfigLoadReport {
  /** Apps whose stored configuration is in force. */
  readonly loaded: number;
  /** Apps whose newest stored configuration no longer validates or applies: they run on the defaults. */
  readonly invalid: readonly {
    readonly appId: string;
    readonly version: number;
    readonly problems: readonly Problem[];
  }[];
}

/** A page of versions, newest first; `nextBefore` continues (null on the last page). */
export interface ConfigVersionPage {
  readonly items: readonly ConfigVersionInfo[];
  readonly nextBefore: number | null;
}

/** Per-app configuration: versioned in the database, audit-logged, applied without a restart. */
export interface ConfigService {
  /** Reads every app's newest configuration and puts it in force (at start, before scoring). */
  load(): Promise<ConfigLoadReport>;
  /** The configuration in force for an app (the defaults when it has none). Synchronous: hot path. */
  current(appId: string): AppConfig;
  /**
   * A stored version (the newest when `version` is undefined; the defaults as version 0 when none).
   * Throws `app_not_found`, `not_found` (no such version), `conflict` (the version no longer validates).
   */
  get(appId: string, version?: number): Promise<AppConfig>;
  /**
   * Validates a document, stores it as the next version with an audit row in one transaction, then
   * applies it. Throws `app_not_found`, `validation_failed` (every problem with its path), `conflict`.
   */
  put(appId: string, input: unknown, actor: string): Promise<AppConfig>;
  versions(
    appId: string,
    q?: { readonly before?: number | undefined; readonly limit?: number | undefined },
  ): Promise<ConfigVersionPage>;
  /** Called after a change is in force; returns the unsubscribe function. */
  onChange(listener: (config: AppConfig) => void): () => void;
}

/** Default and largest page of {@link ConfigService.versions}. @example CONFIG_VERSIONS_PAGE.max; // 500 */
export const CONFIG_VERSIONS_PAGE = { default: 50, max: 500 } as const;

function defaultsFor(appId: string): AppConfig {
  return { ...DEFAULT_PARSED_CONFIG, appId, version: 0, createdAt: null, createdBy: null };
}

function parseRecord(r: ConfigRecord): { ok: true; value: AppConfig } | { ok: false; problems: Problem[] } {
  let body: unknown;
  try {
    body = JSON.parse(r.body);
  } catch {
    return { ok: false, problems: [{ path: '/', message: 'the stored document is not JSON' }] };
  }
  const parsed = parseConfigDocument(body);
  if (!parsed.ok) return { ok: false, problems: [...parsed.problems] };
  return {
    ok: true,
    value: {
      ...parsed.value,
      appId: r.appId,
      version: r.version,
      createdAt: r.createdAt,
      createdBy: r.createdBy,
    },
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Creates the configuration service. Changes run one at a time per process; two processes racing
 * for the same version get `conflict` for the loser (the `(app_id, version)` primary key).
 * @example
 * const configs = createConfigService({ db, clock, apps, prepare: engines.prepare });
 * await configs.load();
 * await configs.put(appId, { access: { full: 75 } }, 'key:01J...');
 */
export function createConfigService(deps: {
  readonly db: Db;
  readonly clock: Clock;
  readonly apps: Pick<AppService, 'get'>;
  /** Builds and installs each app's engine; absent means only the in-memory configuration changes. */
  readonly prepare?: ConfigApplier;
}): ConfigService {
  const { db, clock } = deps;
  const store = createConfigStore(db);
  const cache = new Map<string, AppConfig>();
  const listeners = new Set<(config: AppConfig) => void>();
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };

  const notify = (config: AppConfig): void => {
    for (const l of listeners) l(config);
  };

  return {
    load: () =>
      serial(async () => {
        const invalid: { appId: string; version: number; problems: readonly Problem[] }[] = [];
        let loaded = 0;
        for (const r of await store.latestOfEveryApp()) {
          const parsed = parseRecord(r);
          if (!parsed.ok) {
            invalid.push({ appId: r.appId, version: r.version, problems: parsed.problems });
            continue;
          }
          let apply: () => void = () => {};
          try {
            if (deps.prepare) apply = deps.prepare(r.appId, parsed.value.engine);
          } catch (err) {
            invalid.push({
              appId: r.appId,
              version: r.version,
              problems: [{ path: '/', message: message(err) }],
            });
            continue;
          }
          apply();
          cache.set(r.appId, parsed.value);
          notify(parsed.value);
          loaded++;
        }
        return { loaded, invalid };
      }),

    current: (appId) => cache.get(appId) ?? defaultsFor(appId),

    async get(appId, version) {
      await deps.apps.get(appId);
      const r = version === undefined ? await store.latest(appId) : await store.get(appId, version);
      if (r === undefined) {
        if (version === undefined || version === 0) return defaultsFor(appId);
        throw new DomainError('not_found', `this app has no configuration version ${version}`);
      }
      const parsed = parseRecord(r);
      if (!parsed.ok) {
        throw new DomainError('conflict', `configuration version ${r.version} no longer validates`, {
          details: parsed.problems,
        });
      }
      return parsed.value;
    },

    put: (appId, input, actor) =>
      serial(async () => {
        await deps.apps.get(appId);
        const parsed = parseConfigDocument(input);
        if (!parsed.ok) {
          throw new DomainError('validation_failed', 'invalid configuration', { details: parsed.problems });
        }
        let apply: () => void = () => {};
        try {
          if (deps.prepare) apply = deps.prepare(appId, parsed.value.engine);
        } catch (err) {
          throw new DomainError('validation_failed', 'the configuration cannot be applied', {
            details: [{ path: '/', message: message(err) }],
          });
        }
        const body = canonicalJson(parsed.value.overrides);
        const now = clock.now();
        let record: ConfigRecord;
        try {
          record = await db.transaction(async (tx) => {
            const configs = createConfigStore(tx);
            const previous = (await configs.latest(appId))?.version ?? 0;
            const r: ConfigRecord = { appId, version: previous + 1, body, createdAt: now, createdBy: actor };
            await configs.insert(r);
            await createAuditStore(tx).append(
              {
                actor,
                action: 'config.update',
                appId,
                target: `v${r.version}`,
                details: {
                  version: r.version,
                  previousVersion: previous,
                  sections: Object.keys(parsed.value.overrides).sort(),
                  sha256: createHash('sha256').update(body).digest('hex'),
                },
              },
              now,
            );
            return r;
          });
        } catch (err) {
          if (isUniqueViolation(err)) {
            throw new DomainError('conflict', 'the configuration changed at the same time; retry', {
              cause: err,
            });
          }
          throw err;
        }
        const config: AppConfig = {
          ...parsed.value,
          appId,
          version: record.version,
          createdAt: record.createdAt,
          createdBy: record.createdBy,
        };
        apply();
        cache.set(appId, config);
        notify(config);
        return config;
      }),

    async versions(appId, q = {}) {
      await deps.apps.get(appId);
      const limit = Math.min(Math.max(1, q.limit ?? CONFIG_VERSIONS_PAGE.default), CONFIG_VERSIONS_PAGE.max);
      const rows = await store.list(appId, { before: q.before, limit: limit + 1 });
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return { items, nextBefore: rows.length > limit && last !== undefined ? last.version : null };
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
