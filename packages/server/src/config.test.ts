import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'vigil-cfg-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('uses the embedded defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.host).toBe('0.0.0.0');
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.database).toEqual({ kind: 'sqlite', file: path.resolve('./data/vigil.db') });
    expect(c.logLevel).toBe('info');
    expect(c.adminKey).toBeUndefined();
    expect(c.bodyLimitBytes).toBe(1_048_576);
    expect(c.rateLimit).toEqual({ perSecond: 10_000, burst: 20_000 });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.database)).toBe(true);
  });

  it('reads every variable', () => {
    const c = loadConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      DATA_DIR: '/tmp/vigil-x',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      LOG_LEVEL: 'WARN',
      VIGIL_ADMIN_KEY: 'x'.repeat(32),
      BODY_LIMIT_BYTES: '2048',
      RATE_LIMIT_PER_SEC: '5',
      RATE_LIMIT_BURST: '7',
      SNAPSHOT_INTERVAL_MS: '0',
      GROUP_COMMIT_MAX: '64',
    });
    expect(c).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
      dataDir: '/tmp/vigil-x',
      database: { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test' },
      logLevel: 'warn',
      adminKey: 'x'.repeat(32),
      bodyLimitBytes: 2048,
      rateLimit: { perSecond: 5, burst: 7 },
      snapshotIntervalMs: 0,
      groupCommitMax: 64,
    });
  });

  it('runs SQLite on a worker thread only with SQLITE_WORKER=true, and rejects other values', () => {
    expect(loadConfig({ DATA_DIR: '/tmp/v' }).database).toEqual({ kind: 'sqlite', file: '/tmp/v/vigil.db' });
    expect(loadConfig({ DATA_DIR: '/tmp/v', SQLITE_WORKER: 'true' }).database).toEqual({
      kind: 'sqlite',
      file: '/tmp/v/vigil.db',
      workerThread: true,
    });
    expect(() => loadConfig({ SQLITE_WORKER: 'sometimes' })).toThrow(ConfigError);
  });

  it('lists every problem at once', () => {
    let err: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        VIGIL_ADMIN_KEY: 'short',
        BODY_LIMIT_BYTES: '-1',
        SNAPSHOT_INTERVAL_MS: '10',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const keys = (err as ConfigError).problems.map((p) => p.key).sort();
    expect(keys).toEqual([
      'BODY_LIMIT_BYTES',
      'DATABASE_URL',
      'LOG_LEVEL',
      'PORT',
      'SNAPSHOT_INTERVAL_MS',
      'VIGIL_ADMIN_KEY',
    ]);
    expect((err as ConfigError).message).toContain("PORT: must be a whole number, got 'eighty'");
  });

  it('rejects a port out of range', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT: must be between 0 and 65535/);
  });

  it('reads the watch interval: default 3 s, 0 turns it off, under 100 ms is refused', () => {
    expect(loadConfig({}).watchIntervalMs).toBe(3000);
    expect(loadConfig({ WATCH_INTERVAL_MS: '0' }).watchIntervalMs).toBe(0);
    expect(loadConfig({ WATCH_INTERVAL_MS: '250' }).watchIntervalMs).toBe(250);
    expect(() => loadConfig({ WATCH_INTERVAL_MS: '50' })).toThrow(
      /WATCH_INTERVAL_MS: must be 0 or at least 100/,
    );
  });

  it('reads a JSON config file, with the environment winning', () => {
    const dir = tempDir();
    const file = path.join(dir, 'vigil.json');
    writeFileSync(file, JSON.stringify({ PORT: 7000, LOG_LEVEL: 'debug' }));
    const c = loadConfig({ VIGIL_CONFIG: file, LOG_LEVEL: 'error' });
    expect(c.port).toBe(7000);
    expect(c.logLevel).toBe('error');
  });

  it('reports unknown keys and unreadable files', () => {
    const dir = tempDir();
    const file = path.join(dir, 'vigil.json');
    writeFileSync(file, JSON.stringify({ PROT: 1 }));
    expect(() => loadConfig({}, file)).toThrow(/PROT: unknown key/);
    expect(() => loadConfig({}, path.join(dir, 'missing.json'))).toThrow(/VIGIL_CONFIG: cannot read/);
    writeFileSync(file, '[1]');
    expect(() => loadConfig({}, file)).toThrow(/must hold a JSON object/);
  });

  it('accepts a sqlite: URL as an explicit file', () => {
    const c = loadConfig({ DATABASE_URL: 'sqlite:///tmp/v.db' });
    expect(c.database).toEqual({ kind: 'sqlite', file: '/tmp/v.db' });
  });
});
