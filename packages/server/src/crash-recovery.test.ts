import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSimulator } from '@vigil/engine';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Crash test: the real server in a child process on SQLite, events posted concurrently, `kill -9`
 * mid-stream, a restart on the same DATA_DIR; every acknowledged event and its decision must be
 * stored exactly once, and re-posting an acknowledged id must answer the same decision.
 */

const SERVER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(SERVER_DIR, 'src', 'main.ts');
const ADMIN_KEY = 'crash-test-admin-key-0123456789';
const LANES = 16;
/** Acknowledged events after which the server is killed (requests keep flowing meanwhile). */
const KILL_AFTER = 400;

interface Child {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly recovery: { snapshotSeq: number; replayed: number; lastSeq: number };
  readonly exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function startChild(dataDir: string, sqliteWorker: boolean): Promise<Child> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'INIT_CWD') env[k] = v;
  Object.assign(env, {
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    VIGIL_ADMIN_KEY: ADMIN_KEY,
    RATE_LIMIT_PER_SEC: '0',
    SNAPSHOT_INTERVAL_MS: '1000',
    SQLITE_WORKER: String(sqliteWorker),
  });
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: SERVER_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`server did not start in time:\n${out}\n${err}`)),
      20_000,
    );
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('"vigil listening"')) continue;
        const log = JSON.parse(line) as { address: string; recovery: Child['recovery'] };
        clearTimeout(timer);
        resolve({ proc, url: log.address, recovery: log.recovery, exited });
        return;
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
}

describe.each([
  { mode: 'SQLite on the event loop', sqliteWorker: false },
  { mode: 'SQLite on its worker thread', sqliteWorker: true },
])('crash recovery (kill -9), $mode', ({ sqliteWorker }) => {
  it('keeps every acknowledged event and decision exactly once, and answers re-posts with the same decision', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-crash-'));
    dirs.push(dir);
    const first = await startChild(dir, sqliteWorker);
    const created = await fetch(`${first.url}/v1/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'crash' }),
    });
    expect(created.status).toBe(201);
    const { id: appId, apiKey } = (await created.json()) as { id: string; apiKey: string };

    const sim = createSimulator({ seed: 17, users: 300, start: Date.now() - 86_400_000, idPrefix: 'crash-' });
    const acked = new Map<string, string>();
    const bodies = new Map<string, string>();
    let killed = false;
    let failedAfterKill = 0;
    // Lanes keep sending after the kill until the server is gone, so every lane ends on a failed
    // request (the stream really was cut); any 200 that still arrives counts as acknowledged.
    const lane = async (): Promise<void> => {
      for (;;) {
        const { app: _app, ...event } = sim.next().value.event;
        const body = JSON.stringify(event);
        bodies.set(event.id, body);
        let res: Response;
        try {
          res = await fetch(`${first.url}/v1/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
            body,
          });
        } catch {
          failedAfterKill++;
          return; // the server is gone
        }
        const text = await res.text().catch(() => undefined);
        if (res.status === 200 && text !== undefined) acked.set(event.id, text);
        else if (res.status !== 200 && !killed) throw new Error(`HTTP ${res.status}: ${text}`);
        if (!killed && acked.size >= KILL_AFTER) {
          killed = true;
          first.proc.kill('SIGKILL'); // while the other lanes still have requests in flight
        }
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    expect(await first.exited).toBeNull();
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(failedAfterKill).toBeGreaterThan(0);

    const second = await startChild(dir, sqliteWorker);
    expect(second.recovery.lastSeq).toBeGreaterThanOrEqual(acked.size);

    const db = new SqliteDatabase(path.join(dir, 'vigil.db'), { readonly: true });
    try {
      const events = new Map(
        (
          db.prepare('SELECT id, COUNT(*) AS n FROM events WHERE app_id = ? GROUP BY id').all(appId) as {
            id: string;
            n: number;
          }[]
        ).map((r) => [r.id, r.n]),
      );
      const decisions = new Map(
        (
          db
            .prepare(
              'SELECT event_id AS id, COUNT(*) AS n, MIN(payload) AS payload FROM decisions WHERE app_id = ? GROUP BY event_id',
            )
            .all(appId) as { id: string; n: number; payload: string }[]
        ).map((r) => [r.id, r]),
      );
      for (const [id, decision] of acked) {
        expect(events.get(id), `event ${id}`).toBe(1);
        expect(decisions.get(id)?.n, `decision of ${id}`).toBe(1);
        expect(decisions.get(id)?.payload, `decision of ${id}`).toBe(decision);
      }
    } finally {
      db.close();
    }

    // re-posting acknowledged ids answers the stored decision and stores nothing new
    const sample = [...acked.keys()].filter((_, i) => i % 4 === 0);
    for (const id of sample) {
      const res = await fetch(`${second.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: bodies.get(id)!,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('vigil-duplicate')).toBe('true');
      expect(await res.text()).toBe(acked.get(id));
    }
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 30_000);
});
