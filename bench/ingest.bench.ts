/**
 * Ingest benchmark: the durable decision path without HTTP. Runs Vigil's runtime in this process
 * on its embedded default (SQLite file in a temporary DATA_DIR) and submits simulator events in
 * waves, as concurrent HTTP requests would arrive, measuring CPU per decision and SQLite pages
 * written per decision. Prints one JSON line last:
 * {"bench":"ingest","decisions_per_sec":N,"cpu_us_per_decision":N,"wal_pages_per_decision":N}
 *
 *   cd bench && npx tsx ingest.bench.ts [--events 60000] [--wave 40] [--profile-pages]
 *
 * --wave N: events submitted together (one group commit each, like N concurrent requests).
 * --profile-pages: checkpoint after every wave to count the WAL frames each wave wrote (costs
 * time; the throughput figures of such a run are not comparable).
 */
import { createSimulator } from '@vigil/engine';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../packages/server/src/config.js';
import { createRuntime } from '../packages/server/src/runtime.js';
import { rawSqlite } from '../packages/server/src/storage/database.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '60000' },
    wave: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '10000' },
    'profile-pages': { type: 'boolean', default: false },
  },
});
const EVENTS = Number(values.events);
const WAVE = Number(values.wave);
const WARMUP = Number(values.warmup);
const COUNT_PAGES = values['profile-pages'] === true;

const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-ingest-'));
const log = (s: string): void => void process.stdout.write(`${s}\n`);
try {
  log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
  const rt = await createRuntime({
    config: loadConfig({ DATA_DIR: dataDir, RATE_LIMIT_PER_SEC: '0', OUTBOX_DISPATCH: 'false' }),
  });
  const { app } = await rt.apps.create('bench', 'bench');
  const users = Math.min(10_000, Math.max(500, Math.round((EVENTS + WARMUP) / 50)));
  const total = EVENTS + WARMUP;
  const spanMs = (total / (users * 1.41e-4)) * 1000;
  const start = Math.floor(Date.now() - spanMs * 1.5 - 86_400_000);
  const sim = createSimulator({ seed: 1, users, start, attackRate: 0.02 });
  const runId = Date.now().toString(36);
  const bodies: unknown[] = [];
  for (let i = 0; i < total; i++) {
    const { app: _app, ...rest } = sim.next().value.event;
    bodies.push(JSON.parse(JSON.stringify({ ...rest, id: `${runId}-${i.toString(36)}` })));
  }
  const sqlite = rawSqlite(rt.db);
  let frames = 0;
  const run = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i += WAVE) {
      const wave = bodies.slice(i, Math.min(to, i + WAVE));
      const results = await Promise.all(wave.map((b) => rt.ingest.submit(app.id, b)));
      for (const r of results) if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.problems)}`);
      if (COUNT_PAGES && sqlite !== undefined) {
        const [row] = sqlite.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
        frames += row?.log ?? 0;
      }
    }
  };
  await run(0, WARMUP);
  frames = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(WARMUP, total);
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / EVENTS;
  log(
    `${EVENTS} decisions in waves of ${WAVE}: ${Math.round(EVENTS / secs)}/s, ${cpuUs.toFixed(1)} CPU-µs per decision` +
      (COUNT_PAGES ? `, ${(frames / EVENTS).toFixed(2)} WAL pages per decision` : ''),
  );
  if (sqlite !== undefined) {
    const q = (sql: string): unknown => sqlite.prepare(sql).all();
    log(
      `decisions by outcome: ${JSON.stringify(q('SELECT outcome, count(*) AS n FROM decisions GROUP BY outcome'))}`,
    );
    log(
      `rows: ${JSON.stringify(q('SELECT (SELECT count(*) FROM enforcements) AS enforcements, (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM outbox) AS outbox, (SELECT count(*) FROM signals) AS signals, (SELECT count(*) FROM users) AS users, (SELECT avg(length(payload)) FROM events) AS eventBytes, (SELECT avg(length(payload)) FROM decisions) AS decisionBytes'))}`,
    );
  }
  await rt.close();
  log(
    JSON.stringify({
      bench: 'ingest',
      decisions_per_sec: Math.round(EVENTS / secs),
      cpu_us_per_decision: Math.round(cpuUs * 10) / 10,
      wal_pages_per_decision: COUNT_PAGES ? Math.round((frames / EVENTS) * 100) / 100 : null,
    }),
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
