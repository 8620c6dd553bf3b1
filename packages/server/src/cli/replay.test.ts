import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simulate } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createRuntime } from '../runtime.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { runCli } from './cli.js';
import type { ReplayReport } from './replay.js';

let dir: string;
let appA: string;
let sent = 0;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-replay-'));
  const clock = createFakeClock(Date.UTC(2026, 0, 10));
  const rt = await createRuntime({ config: loadConfig({ DATA_DIR: dir, SNAPSHOT_INTERVAL_MS: '0' }), clock });
  try {
    appA = (await rt.apps.create('replay-a', 'test')).app.id;
    const appB = (await rt.apps.create('replay-b', 'test')).app.id;
    const events = simulate({ seed: 8, users: 40, start: Date.UTC(2026, 0, 9) }, 300);
    for (const [i, { event }] of events.entries()) {
      const { app: _app, ...body } = event;
      const r = await rt.ingest.submit(i % 3 === 0 ? appB : appA, body);
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      sent++;
    }
  } finally {
    await rt.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function vigil(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: { DATA_DIR: dir } });
  return { code, out, err };
}

describe('vigil replay', () => {
  it('--dry-run rebuilds from the log and saves nothing', async () => {
    const r = await vigil('replay', '--dry-run', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as ReplayReport;
    expect(report).toMatchObject({ app: null, events: sent, skipped: 0, lastSeq: sent, snapshot: null });
    expect(report.entities).toBeGreaterThan(40);
  });

  it('--app replays one app and saves nothing', async () => {
    const r = await vigil('replay', '--app', appA, '--json');
    const report = JSON.parse(r.out) as ReplayReport;
    expect(report).toMatchObject({ app: appA, events: 200, skipped: 100, snapshot: null });
  });

  it('saves a snapshot that the next start restores without replaying', async () => {
    const r = await vigil('replay');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^replayed ${sent} events up to seq ${sent} in [\\d.]+ s`));
    expect(r.out).toMatch(/saved snapshot \w+ at seq 300/);
    const rt = await createRuntime({ config: loadConfig({ DATA_DIR: dir, SNAPSHOT_INTERVAL_MS: '0' }) });
    try {
      expect(rt.recovery).toEqual({ snapshotSeq: sent, replayed: 0, lastSeq: sent });
      expect(rt.engine.store.stats().entities).toBe(
        (JSON.parse((await vigil('replay', '--dry-run', '--json')).out) as ReplayReport).entities,
      );
    } finally {
      await rt.close();
    }
  });

  it('rejects unknown options', async () => {
    expect((await vigil('replay', '--bogus')).code).toBe(2);
  });
});
