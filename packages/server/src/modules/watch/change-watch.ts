import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../storage/database.js';
import type { ConfigLoadReport, ConfigService } from '../config/config.service.js';
import type { ListService } from '../lists/list.service.js';

/**
 * A server mirrors part of the database in memory (deployed models, per-app configurations, block
 * and allow lists) and applies its own changes at once; a change made by another process (the
 * `vigil` CLI, a second server on the same PostgreSQL) is picked up here: a cheap query per
 * source on a timer compares what is stored with what memory holds, and reloads only what changed.
 */

/** One kind of stored state mirrored in memory. */
export interface WatchSource {
  readonly name: string;
  /**
   * Compares the database with memory and reloads memory when another process changed it: what
   * changed (for the log), or undefined when memory was current. Throws on a database error.
   */
  sync(): Promise<Readonly<Record<string, unknown>> | undefined>;
}

/** Polls every source and reloads those changed elsewhere. */
export interface ChangeWatch {
  /** Checks every source once, reloading the changed ones; returns their names. Never throws. */
  check(): Promise<readonly string[]>;
  /** Checks every `intervalMs` (each check starts after the previous one ended) until `stop`. */
  start(intervalMs: number): void;
  /** Stops the timer and waits for a running check. */
  stop(): Promise<void>;
}

/**
 * Creates the watch. A source whose query or reload fails is logged (warn) and tried again at the
 * next check; the others go on.
 * @example
 * const watch = createChangeWatch({ sources: [models, configs, lists], logger });
 * watch.start(3000); // ... await watch.stop();
 */
export function createChangeWatch(deps: {
  readonly sources: readonly WatchSource[];
  readonly logger?: Pick<FastifyBaseLogger, 'info' | 'warn'>;
}): ChangeWatch {
  const { logger } = deps;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const checkOnce = async (): Promise<readonly string[]> => {
    const reloaded: string[] = [];
    for (const s of deps.sources) {
      try {
        const change = await s.sync();
        if (change === undefined) continue;
        reloaded.push(s.name);
        logger?.info({ source: s.name, ...change }, 'stored state changed by another process; reloaded');
      } catch (err) {
        logger?.warn({ err, source: s.name }, 'checking for changes by other processes failed; retrying');
      }
    }
    return reloaded;
  };

  const check = (): Promise<readonly string[]> => serial(checkOnce);

  return {
    check,
    start(intervalMs) {
      if (!(intervalMs > 0) || timer !== undefined || stopped) return;
      const tick = (): void => {
        timer = setTimeout(() => {
          void check().finally(() => {
            if (!stopped) tick();
          });
        }, intervalMs);
        timer.unref();
      };
      tick();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await serial(async () => undefined);
    },
  };
}

/** A model registry source: which versions are deployed or in shadow. */
export interface ModelWatchSource extends WatchSource {
  /** Reads the registry's signature before the first load (at start). */
  prime(): Promise<void>;
  /**
   * Reloads now (after an in-process deploy, shadow or rollback), recording what it loaded so the
   * next check does not take the change for another process's; `apps` are rebuilt in any case.
   */
  reloadNow(apps: readonly string[]): Promise<void>;
}

/**
 * Watches the model registry: its signature is the list of deployed and shadow versions (id and
 * status, a few short rows without packages), read before each reload so a change racing with it
 * is seen at the next check. `reload` rebuilds the hooks and the engines of the apps concerned.
 * @example const models = createModelWatchSource({ db, reload: () => reloadModels() }); await models.prime();
 */
export function createModelWatchSource(deps: {
  readonly db: Db;
  /** Reloads the registry and rebuilds the engines of the apps whose models changed, and of `apps`. */
  readonly reload: (apps: readonly string[]) => Promise<void>;
}): ModelWatchSource {
  const signature = async (): Promise<readonly string[]> => {
    const rows = await deps.db.kysely
      .selectFrom('models')
      .select(['id', 'app_id', 'status'])
      .where('status', 'in', ['deployed', 'shadow'])
      .orderBy('id')
      .execute();
    return rows.map((r) => `${r.app_id}/${r.id}:${r.status}`);
  };
  let loaded: readonly string[] | undefined;
  // a check and an in-process reload never interleave, so `loaded` always matches memory
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };
  return {
    name: 'models',
    async prime() {
      loaded = await signature();
    },
    sync: () =>
      serial(async () => {
        // read before the reload: a change racing with it shows at the next check
        const now = await signature();
        if (loaded !== undefined && now.join(',') === loaded.join(',')) return undefined;
        await deps.reload([]);
        const before = new Set(loaded ?? []);
        const after = new Set(now);
        loaded = now;
        return {
          activated: now.filter((x) => !before.has(x)),
          deactivated: [...before].filter((x) => !after.has(x)),
        };
      }),
    reloadNow: (apps) =>
      serial(async () => {
        const now = await signature();
        await deps.reload(apps);
        loaded = now;
      }),
  };
}

/**
 * Watches per-app configurations: the newest stored version of each app (one grouped query over
 * the primary key) against the version in force. A newest version that no longer validates is
 * remembered from the last load, so it is reported once rather than reloaded at every check.
 * @example const configs = createConfigWatchSource({ db, configs: service }); configs.loaded(await service.load());
 */
export function createConfigWatchSource(deps: {
  readonly db: Db;
  readonly configs: Pick<ConfigService, 'current' | 'load'>;
  readonly logger?: Pick<FastifyBaseLogger, 'warn'>;
}): WatchSource & { loaded(report: ConfigLoadReport): void } {
  let invalid = new Map<string, number>();
  const loaded = (report: ConfigLoadReport): void => {
    invalid = new Map(report.invalid.map((i) => [i.appId, i.version]));
  };
  return {
    name: 'configs',
    loaded,
    async sync() {
      const rows = await deps.db.kysely
        .selectFrom('configs')
        .select((eb) => ['app_id', eb.fn.max('version').as('v')])
        .groupBy('app_id')
        .execute();
      const apps: { appId: string; version: number; inForce: number }[] = [];
      for (const r of rows) {
        const version = Number(r.v);
        const inForce = deps.configs.current(r.app_id).version;
        if (version !== inForce && invalid.get(r.app_id) !== version)
          apps.push({ appId: r.app_id, version, inForce });
      }
      if (apps.length === 0) return undefined;
      const report = await deps.configs.load();
      loaded(report);
      if (report.invalid.length > 0)
        deps.logger?.warn(report, 'stored configurations that no longer validate');
      return { apps };
    },
  };
}

/** The audit actions of list writes (every writer, the API and `vigil lists import`, logs one). */
const LIST_ACTIONS = ['list.add', 'list.remove', 'list.replace'] as const;

/** A list source and the list service whose writes it counts as this process's own. */
export interface ListWatch {
  readonly source: WatchSource & { prime(): Promise<void> };
  /** The list service to use: the same, with its writes counted. */
  readonly lists: ListService;
}

/**
 * Watches block/allow lists through the audit log: each list write, by any process, appends one
 * `list.*` row in its own transaction, and audit rows are numbered in commit order. A check
 * counts the rows after the last one seen (a range of the primary key) and compares them with
 * the writes this process made meanwhile, which the wrapped service counts: more rows than own
 * writes means another process wrote, and every list is reloaded (a paged scan). Own writes and
 * the count run one at a time, so a write is never half counted.
 * @example const { source, lists } = createListWatch({ db, lists: createListService(...) }); await source.prime();
 */
export function createListWatch(deps: { readonly db: Db; readonly lists: ListService }): ListWatch {
  const inner = deps.lists;
  let last = 0;
  let own = 0;
  let lock: Promise<unknown> = Promise.resolve();
  const locked = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lock.then(fn, fn);
    lock = run.catch(() => undefined);
    return run;
  };
  const counted = <T>(fn: () => Promise<T>, wrote: (r: T) => boolean): Promise<T> =>
    locked(async () => {
      const r = await fn();
      if (wrote(r)) own++;
      return r;
    });
  const lists: ListService = {
    ...inner,
    add: (scope, kind, rows, actor) =>
      counted(
        () => inner.add(scope, kind, rows, actor),
        (r) => r.loaded > 0,
      ),
    addValid: (scope, rows, actor, audit) =>
      counted(
        () => inner.addValid(scope, rows, actor, audit),
        (r) => r.stored > 0,
      ),
    remove: (scope, kind, value, actor) =>
      counted(
        () => inner.remove(scope, kind, value, actor),
        () => true,
      ),
  };
  const source: WatchSource & { prime(): Promise<void> } = {
    name: 'lists',
    async prime() {
      const r = await deps.db.kysely
        .selectFrom('audit_log')
        .select((eb) => eb.fn.max('seq').as('m'))
        .executeTakeFirst();
      last = Number(r?.m ?? 0);
    },
    async sync() {
      const seen = await locked(async () => {
        const r = await deps.db.kysely
          .selectFrom('audit_log')
          .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('seq').as('m')])
          .where('seq', '>', last)
          .where('action', 'in', [...LIST_ACTIONS])
          .executeTakeFirst();
        const n = Number(r?.n ?? 0);
        const m = Number(r?.m ?? last);
        if (n > own) return { n, m, own };
        // every row is one of this process's writes, already in memory
        if (n > 0) {
          last = m;
          own -= n;
        }
        return undefined;
      });
      if (seen === undefined) return undefined;
      await inner.load();
      // own writes made during the reload keep their count and rows (after m) for the next check
      await locked(async () => {
        last = Math.max(last, seen.m);
        own -= seen.own;
      });
      return { writes: seen.n - seen.own };
    },
  };
  return { source, lists };
}
