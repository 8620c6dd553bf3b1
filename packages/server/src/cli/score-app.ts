import { existsSync } from 'node:fs';
import { systemClock } from '../clock.js';
import { ConfigError, loadConfig } from '../config.js';
import { DomainError } from '../errors.js';
import { createAppService } from '../modules/apps/app.service.js';
import { createConfigStore } from '../modules/config/config.store.js';
import { loadModelHook, type ModelHookSource } from '../modules/models/model-hooks.js';
import { createModelStore } from '../modules/models/model.store.js';
import { ONNX_KIND } from '../modules/models/onnx/onnx-package.js';
import { onnxRuntimeAt, resolveOnnxRuntime } from '../modules/models/onnx/onnx-runtime.js';
import { openDatabase, type Db } from '../storage/database.js';

/** What `vigil score --app` scores with, read from the server's database. */
export interface AppScoring {
  /** The app's stored configuration document (without its gatekeeper part); undefined: defaults. */
  readonly engineConfig: unknown;
  /** The stored configuration's version (0: none stored, the defaults apply). */
  readonly configVersion: number;
  /** The deployed and shadow versions that load, as the live registry would score with them. */
  readonly models: readonly ModelHookSource[];
  /** onnxruntime-node's entry file, when an onnx version is among `models`. */
  readonly onnxEntry?: string;
  /** Versions left out, each with the reason (they do not load here either). */
  readonly skipped: readonly string[];
  /** Where the database is (the SQLite file, or the PostgreSQL server without credentials). */
  readonly database: string;
}

/** Why `--app` cannot be used; `usage` (exit 2) for an unknown app, else the database (exit 1). */
export class AppScoringError extends Error {
  constructor(
    message: string,
    readonly usage: boolean,
  ) {
    super(message);
    this.name = 'AppScoringError';
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'the DATABASE_URL server';
  }
}

/**
 * Reads an app's configuration and its deployed and shadow models from the server's database
 * (DATA_DIR or DATABASE_URL in `env`; nothing is written: no migration, no row). A SQLite file
 * that does not exist is an error rather than a new empty database.
 * @example const s = await loadAppScoring('01J…', { DATA_DIR: '/var/lib/vigil' });
 */
export async function loadAppScoring(
  appId: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<AppScoring> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new AppScoringError(err.message, false);
    throw err;
  }
  const { database } = config;
  const shown = database.kind === 'sqlite' ? database.file : where(database.url);
  if (database.kind === 'sqlite' && !existsSync(database.file)) {
    throw new AppScoringError(
      `no database at ${database.file}: --app reads the server's database; set DATA_DIR (or --data-dir) to its data directory, or DATABASE_URL`,
      false,
    );
  }
  let db: Db;
  try {
    db = await openDatabase(database, { poolSize: 1 });
  } catch (err) {
    throw new AppScoringError(`cannot open the database at ${shown}: ${message(err)}`, false);
  }
  try {
    try {
      await createAppService({ db, clock: systemClock }).get(appId);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'app_not_found') {
        throw new AppScoringError(`no app '${appId}' in the database at ${shown} (vigil apps list)`, true);
      }
      throw err;
    }
    const stored = await createConfigStore(db).latest(appId);
    let engineConfig: unknown;
    if (stored !== undefined) {
      let doc: unknown;
      try {
        doc = JSON.parse(stored.body);
      } catch {
        throw new AppScoringError(
          `the stored configuration v${stored.version} of app '${appId}' is not JSON`,
          false,
        );
      }
      // the gatekeeper part is the server's (uploads, access), not the engine's
      engineConfig =
        typeof doc === 'object' && doc !== null && !Array.isArray(doc)
          ? Object.fromEntries(Object.entries(doc).filter(([k]) => k !== 'gatekeeper'))
          : doc;
    }
    const active = (await createModelStore(db).active()).filter((m) => m.appId === appId);
    const onnxEntry = active.some((m) => m.kind === ONNX_KIND) ? resolveOnnxRuntime() : undefined;
    const onnx = onnxEntry === undefined ? {} : { onnx: onnxRuntimeAt(onnxEntry) };
    const models: ModelHookSource[] = [];
    const skipped: string[] = [];
    for (const m of active) {
      try {
        (await loadModelHook(m, m.status === 'deployed', onnx)).dispose();
        const { id, name, version, kind, status } = m;
        models.push({ id, name, version, kind, status, package: m.package });
      } catch (err) {
        skipped.push(`${m.name} v${m.version} (${m.status}) cannot be loaded: ${message(err)}`);
      }
    }
    return {
      engineConfig,
      configVersion: stored?.version ?? 0,
      models,
      ...(onnxEntry !== undefined && models.some((m) => m.kind === ONNX_KIND) ? { onnxEntry } : {}),
      skipped,
      database: shown,
    };
  } catch (err) {
    if (err instanceof AppScoringError) throw err;
    throw new AppScoringError(
      `cannot read app '${appId}' from the database at ${shown}: ${message(err)}`,
      false,
    );
  } finally {
    await db.close();
  }
}
