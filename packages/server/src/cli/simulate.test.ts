import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { startServer, type RunningServer } from '../server.js';
import { runCli } from './cli.js';
import { createSimTally, isLoopbackUrl, type SimulateReport } from './simulate.js';

let dir: string;
let server: RunningServer;
let apiKey: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-sim-'));
  server = await startServer(
    loadConfig({
      DATA_DIR: dir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SNAPSHOT_INTERVAL_MS: '0',
    }),
  );
  apiKey = (await server.runtime.apps.create('sim', 'test')).apiKey;
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function vigil(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: {} });
  return { code, out, err };
}

describe('vigil simulate', () => {
  it('sends simulated events and reports decisions and detection per scenario', async () => {
    const r = await vigil(
      'simulate',
      '--url',
      server.url,
      '--key',
      apiKey,
      '--events',
      '400',
      '--attack-rate',
      '0.2',
      '--id-prefix',
      'simtest-',
      '--json',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as SimulateReport;
    expect(report).toMatchObject({ sent: 400, decided: 400, duplicates: 0, failed: {} });
    const levels = Object.values(report.byLevel).reduce((a, b) => a + b, 0);
    expect(levels).toBe(400);
    const scenarios = report.scenarios.map((s) => s.scenario);
    expect(scenarios[0]).toBe('normal');
    expect(scenarios.length).toBeGreaterThan(2);
    expect(report.scenarios.reduce((a, s) => a + s.events, 0)).toBe(400);
    // the server stored them all
    const stats = await fetch(`${server.url}/v1/stats`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(stats.status).toBe(200);
  });

  it('re-sending the same ids gets the stored decisions back', async () => {
    const r = await vigil(
      'simulate',
      '--url',
      server.url,
      '--key',
      apiKey,
      '--events',
      '50',
      '--attack-rate',
      '0.2',
      '--id-prefix',
      'simtest-',
      '--rate',
      '500',
      '--json',
    );
    const report = JSON.parse(r.out) as SimulateReport;
    expect(report).toMatchObject({ sent: 50, decided: 50, duplicates: 50 });
  });

  it('prints a table by default and fails on a bad key', async () => {
    const table = await vigil('simulate', '--url', server.url, '--key', apiKey, '--events', '30');
    expect(table.out).toMatch(/^sent 30 events to http:\/\/127\.0\.0\.1:\d+ in [\d.]+ s: 30 decisions/);
    expect(table.out).toContain('scenario');
    const bad = await vigil('simulate', '--url', server.url, '--key', 'vgl_nope', '--events', '5', '--json');
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.out) as SimulateReport;
    expect(report.failed).toEqual({ 401: 5 });
  });

  it('refuses traffic to another machine unless --allow-remote', async () => {
    const r = await vigil('simulate', '--url', 'http://example.com:8080', '--key', 'k');
    expect(r.code).toBe(2);
    expect(r.err).toContain('refusing to send traffic to example.com:8080');
    expect((await vigil('simulate', '--url', server.url)).code).toBe(2);
  });
});

describe('isLoopbackUrl', () => {
  it('knows loopback hosts', () => {
    for (const u of [
      'http://localhost:1',
      'http://127.0.0.1',
      'http://127.8.9.10:80',
      'http://[::1]:8080',
      'http://app.localhost',
    ]) {
      expect(isLoopbackUrl(new URL(u))).toBe(true);
    }
    for (const u of [
      'http://10.0.0.1',
      'http://example.com',
      'http://[::2]',
      'http://128.0.0.1',
      'http://localhost.example.com',
    ]) {
      expect(isLoopbackUrl(new URL(u))).toBe(false);
    }
  });
});

describe('createSimTally', () => {
  it('computes recall per scenario and precision against normal flags of the same event types', () => {
    const t = createSimTally();
    t.add({ malicious: true, scenario: 'card_testing', episode: 1 }, 'payment', 'block', 'CRITICAL');
    t.add({ malicious: true, scenario: 'card_testing', episode: 1 }, 'payment', 'allow', 'SAFE');
    t.add({ malicious: false, scenario: 'normal' }, 'payment', 'review', 'HIGH');
    t.add({ malicious: false, scenario: 'normal' }, 'login', 'challenge', 'MEDIUM');
    t.add({ malicious: false, scenario: 'normal' }, 'login', 'allow', 'SAFE');
    expect(t.scenarios()).toEqual([
      { scenario: 'normal', events: 3, flagged: 2, recall: 2 / 3, precision: null },
      { scenario: 'card_testing', events: 2, flagged: 1, recall: 0.5, precision: 0.5 },
    ]);
    expect(t.overall()).toEqual({ precision: 1 / 3, recall: 0.5, falsePositiveRate: 2 / 3 });
    expect(t.byOutcome).toEqual({ allow: 2, challenge: 1, review: 1, block: 1 });
  });
});
