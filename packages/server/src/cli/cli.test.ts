import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { openDatabase } from '../storage/database.js';
import { migrationsFor } from '../storage/migrations.js';
import { runCli } from './cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function vigil(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: { DATA_DIR: dir },
  });
  return { code, out, err };
}

describe('vigil CLI', () => {
  it('migrates once', async () => {
    // every migration, in name order, starting with the initial schema
    const all = Object.keys(migrationsFor('sqlite')).sort();
    expect(all[0]).toBe('0001_initial_schema');
    expect(await vigil('migrate', '--json')).toMatchObject({
      code: 0,
      out: `${JSON.stringify({ applied: all })}\n`,
    });
    expect(await vigil('migrate')).toMatchObject({ code: 0, out: 'database is up to date\n' });
  });

  it('creates and lists apps as JSON', async () => {
    const created = await vigil('apps', 'create', 'my', 'shop', '--json');
    expect(created.code).toBe(0);
    const app = JSON.parse(created.out) as { id: string; name: string; apiKey: string; keyId: string };
    expect(app.name).toBe('my shop');
    expect(app.apiKey).toMatch(/^vgl_/);
    const listed = JSON.parse((await vigil('apps', 'list', '--json')).out) as { id: string }[];
    expect(listed.map((a) => a.id)).toEqual([app.id]);
    const dup = await vigil('apps', 'create', 'my shop');
    expect(dup.code).toBe(1);
    expect(dup.err).toContain('app_exists');
  });

  it('creates, lists and revokes keys', async () => {
    const created = JSON.parse(
      (await vigil('keys', 'create', '--role', 'analyst', '--name', 'ops', '--json')).out,
    ) as {
      id: string;
      key: string;
      role: string;
    };
    expect(created).toMatchObject({ role: 'analyst', name: 'ops', app: null });
    const listed = JSON.parse((await vigil('keys', 'list', '--json')).out) as { id: string; key?: string }[];
    expect(listed.map((k) => k.id)).toContain(created.id);
    expect(listed.every((k) => k.key === undefined)).toBe(true);
    expect((await vigil('keys', 'revoke', created.id)).out).toBe(`key ${created.id} revoked\n`);
    const live = JSON.parse((await vigil('keys', 'list', '--json')).out) as { id: string }[];
    expect(live.map((k) => k.id)).not.toContain(created.id);
    const all = JSON.parse((await vigil('keys', 'list', '--all', '--json')).out) as { id: string }[];
    expect(all.map((k) => k.id)).toContain(created.id);
    expect((await vigil('keys', 'revoke', created.id)).code).toBe(1);
    const appKey = await vigil('keys', 'create', '--role', 'app');
    expect(appKey.code).toBe(1);
    expect(appKey.err).toContain('an app key needs an app');
  });

  it('verifies the audit chain and reports tampering with exit code 1', async () => {
    const ok = await vigil('audit', 'verify', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true, rows: 3 }); // app.create, key.create, key.revoke;
    const db = await openDatabase(loadConfig({ DATA_DIR: dir }).database);
    await db.kysely
      .updateTable('audit_log')
      .set({ action: 'nothing.happened' })
      .where('seq', '=', 2)
      .execute();
    await db.close();
    const broken = await vigil('audit', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('BROKEN at row 2');
  });

  it('prints help for every command and rejects wrong usage with exit code 2', async () => {
    for (const cmd of ['serve', 'migrate', 'apps', 'keys', 'audit']) {
      const r = await vigil(cmd, '--help');
      expect(r.code, cmd).toBe(0);
      expect(r.out, cmd).toContain(`Usage: vigil ${cmd}`);
    }
    expect((await vigil('--help')).out).toContain('Commands:');
    expect((await vigil()).code).toBe(2);
    const unknown = await vigil('frobnicate');
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.err).toContain("unknown command 'frobnicate'");
    expect((await vigil('apps', 'delete')).code).toBe(2);
    expect((await vigil('keys', 'create', '--role', 'root')).code).toBe(2);
    expect((await vigil('apps', 'list', '--bogus')).code).toBe(2);
  });

  it('reports configuration problems', async () => {
    const r = await runCli(['migrate'], {
      out: () => {},
      err: (t) => (errText += t),
      env: { PORT: 'x', LOG_LEVEL: 'loud' },
    });
    expect(r).toBe(1);
    expect(errText).toContain('PORT: must be a whole number');
    expect(errText).toContain('LOG_LEVEL');
  });
  let errText = '';

  it('runs through the bin shim', async () => {
    const bin = fileURLToPath(new URL('../../bin/vigil.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'apps', 'list', '--json'], {
      env: { ...process.env, DATA_DIR: dir },
    });
    expect((JSON.parse(stdout) as { name: string }[]).map((a) => a.name)).toEqual(['my shop']);
  });
});
