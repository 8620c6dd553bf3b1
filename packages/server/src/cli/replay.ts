import { parseArgs } from 'node:util';
import { createEngine, type VigilEvent } from '@vigil/engine';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createEventStore } from '../modules/events/event.store.js';
import { recoverFeatures } from '../modules/features/feature-recovery.js';
import { createSnapshotStore } from '../modules/features/snapshot.store.js';
import { openDatabase } from '../storage/database.js';
import { parseStoredJson } from '../storage/json.js';
import { migrateToLatest } from '../storage/migrations.js';
import type { CliIo } from './cli.js';

/** Help of `vigil replay`. */
export const REPLAY_HELP = `Usage: vigil replay [--app <id>] [--dry-run] [--json] [--config <file>]

Rebuilds feature state from the event log: a fresh feature store replays every logged event in
log order with its original receipt time (decisions are not rewritten), then the result is saved
as the newest feature snapshot, which the server restores on its next start (restart it after a
replay; a running server keeps its own state and snapshots).

  --app <id>    replay only this app's events and report; nothing is saved, because a snapshot
                holds the features of every app
  --dry-run     rebuild and report without saving the snapshot
  --json        print the report as JSON
  --config <f>  JSON file with configuration variables (DATA_DIR, DATABASE_URL, ...)`;

/** What a replay did. */
export interface ReplayReport {
  readonly app: string | null;
  /** Events replayed. */
  readonly events: number;
  /** Events of other apps skipped (with --app). */
  readonly skipped: number;
  /** Highest event seq read. */
  readonly lastSeq: number;
  readonly entities: number;
  readonly featureBytes: number;
  /** Saved snapshot (null when nothing was saved). */
  readonly snapshot: { readonly id: string; readonly lastSeq: number; readonly bytes: number } | null;
  readonly ms: number;
}

const PAGE = 5000;

/**
 * `vigil replay`: rebuilds feature state from the event log. Returns the exit code.
 * @example const code = await runReplayCommand(['--dry-run'], io);
 */
export async function runReplayCommand(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        app: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (err) {
    io.err(`vigil: ${err instanceof Error ? err.message : String(err)}\n\n${REPLAY_HELP}\n`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    io.out(`${REPLAY_HELP}\n`);
    return 0;
  }
  const config = loadConfig(io.env, values.config);
  const db = await openDatabase(config.database, { poolSize: 2 });
  let report: ReplayReport;
  try {
    await migrateToLatest(db);
    const started = performance.now();
    const engine = createEngine();
    const app = values.app;
    let events = 0;
    let skipped = 0;
    let lastSeq = 0;
    if (app === undefined) {
      const r = await recoverFeatures(
        { db, engine, store: engine.store },
        { ignoreSnapshot: true, pageSize: PAGE },
      );
      events = r.replayed;
      lastSeq = r.lastSeq;
    } else {
      const log = createEventStore(db);
      for (;;) {
        const rows = await log.readAfter(lastSeq, PAGE);
        for (const r of rows) {
          lastSeq = r.seq;
          if (r.appId !== app) {
            skipped++;
            continue;
          }
          engine.score(parseStoredJson<VigilEvent>(r.payload), r.receivedAt);
          events++;
        }
        if (rows.length < PAGE) break;
      }
    }
    const stats = engine.store.stats();
    let snapshot: ReplayReport['snapshot'] = null;
    if (app === undefined && !values['dry-run']) {
      const bytes = engine.store.snapshot();
      const saved = await createSnapshotStore(db).save(bytes, lastSeq, systemClock.now());
      snapshot = { id: saved.id, lastSeq: saved.lastSeq, bytes: bytes.byteLength };
    }
    report = {
      app: app ?? null,
      events,
      skipped,
      lastSeq,
      entities: stats.entities,
      featureBytes: stats.bytes,
      snapshot,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    await db.close();
  }
  if (values.json) {
    io.out(`${JSON.stringify(report)}\n`);
    return 0;
  }
  const secs = report.ms / 1000;
  const rate = report.events / Math.max(secs, 1e-3);
  io.out(
    [
      `replayed ${report.events.toLocaleString('en-US')} events${report.app === null ? '' : ` of app ${report.app} (${report.skipped.toLocaleString('en-US')} of other apps skipped)`} up to seq ${report.lastSeq} in ${secs.toFixed(2)} s (${Math.round(rate).toLocaleString('en-US')} events/s)`,
      `feature state: ${report.entities.toLocaleString('en-US')} entities, ${(report.featureBytes / 1048576).toFixed(1)} MB`,
      report.snapshot !== null
        ? `saved snapshot ${report.snapshot.id} at seq ${report.snapshot.lastSeq} (${(report.snapshot.bytes / 1048576).toFixed(1)} MB); restart the server to use it`
        : report.app !== null
          ? 'nothing saved (--app replays one app; a snapshot holds every app)'
          : 'nothing saved (--dry-run)',
      '',
    ].join('\n'),
  );
  return 0;
}
