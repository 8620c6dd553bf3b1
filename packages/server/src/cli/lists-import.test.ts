import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createListSet } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDomainError } from '../errors.js';
import { createAppService } from '../modules/apps/app.service.js';
import { createListRegistry } from '../modules/lists/list-registry.js';
import { createListService } from '../modules/lists/list.service.js';
import { createListStore, GLOBAL_LIST_SCOPE } from '../modules/lists/list.store.js';
import type { Db } from '../storage/database.js';
import { createSqliteTestDatabase, type TestDatabase } from '../storage/test-databases.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { importListFile, listsCommand, patternToSubstrings, type ListImportSummary } from './lists-import.js';

let dir: string;
let t: TestDatabase;
let db: Db;
const clock = createFakeClock(Date.UTC(2026, 0, 15));

const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-lists-import-'));
  t = await createSqliteTestDatabase();
  db = t.db;
});
afterAll(async () => {
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const TOR = [
  '# Tor exit nodes',
  '185.220.101.1',
  '',
  '185.220.101.2  # inline comment',
  '999.1.1.1',
  '2a0b:f4c2::1',
  '185.220.101.3\r',
].join('\n');

const IPSUM = [
  '# IPsum Threat Intelligence Feed',
  '#',
  '# IP\tnumber of (black)lists',
  '#',
  '77.90.185.20\t10',
  '2.57.122.53\t9',
  'garbage',
  '45.154.244.193\t0',
  '5.5.5.5\t1',
  '300.1.1.1\t4',
].join('\n');

const CRAWLERS = JSON.stringify([
  {
    pattern: 'Googlebot\\/',
    instances: ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
  },
  { pattern: '[wW]get', instances: ['Wget/1.21', 'wget/1.20'] },
  {
    pattern: 'Ahrefs(Bot|SiteAudit)',
    instances: ['Mozilla/5.0 (compatible; AhrefsBot/7.0)', 'AhrefsSiteAudit/6.1'],
  },
  { pattern: 'Chirp|gotosocial', instances: ['Chirp/1.0', 'gotosocial/0.5'] },
  { pattern: '^curl', instances: ['curl/8.0'] },
  { pattern: 'Foo[\\s\\S]*Bar', instances: ['Foo x Bar'] },
  { pattern: 'webmon ', instances: [] },
  { description: 'no pattern here' },
]);

async function entries(
  scope: string,
  kind: Parameters<ReturnType<typeof createListStore>['page']>[0]['kind'],
) {
  return (await createListStore(db).page({ scope, kind, limit: 1000 })).items;
}

describe('importListFile', () => {
  let tor: ListImportSummary;
  it('imports a one-per-line list, reporting bad lines by number', async () => {
    const scope = (await createAppService({ db, clock }).create('tor-app', 'test')).app.id;
    tor = await importListFile(
      { db, clock },
      { file: file('tor.txt', TOR), kind: 'ip', label: 'tor', scope },
    );
    expect(tor).toMatchObject({
      format: 'lines',
      scope,
      verdict: 'flag',
      label: 'tor',
      read: 5,
      stored: 4,
      invalid: 1,
      skipped: 0,
      replaced: 0,
    });
    expect(tor.problems).toEqual([
      {
        kind: 'invalid',
        line: 5,
        value: '999.1.1.1',
        message: "'999.1.1.1' is not an IPv4/IPv6 address or CIDR range",
      },
    ]);
    const stored = await entries(scope, 'ip');
    expect(stored.map((e) => e.value).sort()).toEqual([
      '185.220.101.1',
      '185.220.101.2',
      '185.220.101.3',
      '2a0b:f4c2::1',
    ]);
    expect(stored.every((e) => e.verdict === 'flag' && e.label === 'tor' && e.createdBy === 'cli')).toBe(
      true,
    );
  });

  it('detects the IPsum format and uses the count as the weight', async () => {
    const s = await importListFile(
      { db, clock },
      { file: file('ipsum.txt', IPSUM), kind: 'ip', verdict: 'block' },
    );
    expect(s).toMatchObject({
      format: 'ipsum',
      scope: GLOBAL_LIST_SCOPE,
      label: 'bad_ip',
      stored: 3,
      invalid: 3,
    });
    expect(s.notScored).toBe(0);
    expect(s.problems.map((p) => ('line' in p ? p.line : -1))).toEqual([7, 8, 10]);
    expect(s.problems[0]?.message).toContain('<ip><TAB><count>');
    const weights = Object.fromEntries(
      (await entries(GLOBAL_LIST_SCOPE, 'ip')).map((e) => [e.value, e.weight]),
    );
    expect(weights).toMatchObject({ '77.90.185.20': 10, '2.57.122.53': 9, '5.5.5.5': 1 });
  });

  it('writes one transaction (and one audit row) per batch', async () => {
    const domains = Array.from({ length: 7 }, (_, i) => `throwaway${i}.test`).join('\n');
    const before = await db.kysely.selectFrom('audit_log').select('seq').execute();
    const s = await importListFile(
      { db, clock },
      { file: file('disposable.txt', `${domains}\nnot a domain\n`), kind: 'email_domain', batchRows: 3 },
    );
    expect(s).toMatchObject({ label: 'disposable', stored: 7, invalid: 1 });
    expect(s.problems[0]).toMatchObject({ line: 8, value: 'not a domain' });
    const audit = await db.kysely
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('seq', '>', before.length)
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['list.add', 'list.add', 'list.add']);
    expect(audit.map((a) => (JSON.parse(a.details) as { count: number }).count)).toEqual([3, 3, 1]);
  });

  it('converts literal crawler patterns to substrings and skips the rest with the reason', async () => {
    const s = await importListFile(
      { db, clock },
      { file: file('crawlers.json', CRAWLERS), kind: 'user_agent' },
    );
    expect(s).toMatchObject({
      format: 'json-ua',
      label: 'crawler',
      read: 6,
      stored: 6,
      skipped: 3,
      invalid: 1,
    });
    expect((await entries(GLOBAL_LIST_SCOPE, 'user_agent')).map((e) => e.value)).toEqual([
      'ahrefsbot',
      'ahrefssiteaudit',
      'chirp',
      'googlebot/',
      'gotosocial',
      'wget',
    ]);
    const byEntry = Object.fromEntries(s.problems.map((p) => ['entry' in p ? p.entry : 0, p]));
    expect(byEntry[5]).toMatchObject({ kind: 'skipped', value: '^curl' });
    expect(byEntry[5]?.message).toContain('anchor');
    expect(byEntry[6]?.message).toContain('escape \\s');
    expect(byEntry[7]?.message).toContain('trailing space');
    expect(byEntry[8]).toMatchObject({ kind: 'invalid', message: 'needs a string "pattern"' });

    // every instance of a converted pattern is matched by the lists
    const set = createListSet();
    for (const e of await entries(GLOBAL_LIST_SCOPE, 'user_agent'))
      set.add({ kind: 'user_agent', value: e.value, verdict: 'block', label: e.label });
    const parsed = JSON.parse(CRAWLERS) as { pattern?: string; instances?: string[] }[];
    for (const item of parsed.slice(0, 4))
      for (const ua of item.instances ?? []) expect(set.lookup('user_agent', ua), ua).toBeDefined();
    expect(set.lookup('user_agent', 'Mozilla/5.0 (Windows NT 10.0) Firefox/120')).toBeUndefined();
  });

  it('--replace drops older entries of the kind and label that left the feed', async () => {
    const scope = GLOBAL_LIST_SCOPE;
    await importListFile(
      { db, clock },
      { file: file('exit-a.txt', '9.9.9.1\n9.9.9.2\n9.9.9.3\n'), kind: 'ip', label: 'tor_exit' },
    );
    clock.advance(1000);
    const s = await importListFile(
      { db, clock },
      { file: file('exit-b.txt', '9.9.9.2\n9.9.9.4\n'), kind: 'ip', label: 'tor_exit', replace: true },
    );
    expect(s).toMatchObject({ stored: 2, replaced: 2 });
    const exits = (await entries(scope, 'ip')).filter((e) => e.label === 'tor_exit').map((e) => e.value);
    expect(exits).toEqual(['9.9.9.2', '9.9.9.4']);
    // other labels of the same kind stay
    expect((await entries(scope, 'ip')).some((e) => e.label === 'bad_ip')).toBe(true);
  });

  it('rejects an unknown app and a malformed JSON file', async () => {
    const err: unknown = await importListFile(
      { db, clock },
      { file: file('x.txt', '1.1.1.1\n'), kind: 'ip', scope: 'nope' },
    ).catch((e: unknown) => e);
    expect(isDomainError(err, 'app_not_found')).toBe(true);
    await expect(
      importListFile(
        { db, clock },
        { file: file('bad.json', '[{"pattern": '), kind: 'user_agent', format: 'json-ua' },
      ),
    ).rejects.toThrow('is not JSON');
  });

  it('imported block and flag entries reach the engine after a list reload', async () => {
    const registry = createListRegistry();
    const lists = createListService({ db, clock, registry, apps: createAppService({ db, clock }) });
    await lists.load();
    expect(lists.lookup('some-app', 'ip', '77.90.185.20')).toMatchObject({
      verdict: 'block',
      label: 'bad_ip',
      weight: 10,
    });
    // flag entries (reputation feeds) are scored too, as graded signals without an action
    expect(lists.lookup(tor.scope, 'ip', '185.220.101.1')).toMatchObject({ verdict: 'flag', label: 'tor' });
  });
});

describe('patternToSubstrings', () => {
  it.each([
    ['Googlebot\\/', ['googlebot/']],
    ['bingbot', ['bingbot']],
    ['S[eE][mM]rushBot', ['semrushbot']],
    ['(sistrix|SISTRIX) [cC]rawler', ['sistrix crawler']],
    ['Ahrefs(Bot|SiteAudit)', ['ahrefsbot', 'ahrefssiteaudit']],
    ['a(?:b|c)d', ['abd', 'acd']],
    ['Netumo|netumo', ['netumo']],
    ['Yandex(?:Bot|Images)\\/', ['yandexbot/', 'yandeximages/']],
    ['[.]x', ['.x']],
  ])('%s -> %j', (pattern, values) => {
    expect(patternToSubstrings(pattern)).toEqual({ ok: true, values });
  });

  it.each([
    ['^curl', 'anchor'],
    ['SSL Labs$', 'anchor'],
    ['Googlebot.', "wildcard '.'"],
    ['bots?', 'quantifier'],
    ['a{2}', 'quantifier'],
    ['[a-z]bot', 'character range'],
    ['[^-]bot', 'negated'],
    ['[ab]ot', 'one letter in two cases'],
    ['\\dbot', 'escape \\d'],
    ['(a|b', 'unclosed group'],
    ['a)b', 'unbalanced'],
    ['(?=x)y', 'lookaround'],
    ['a||b', 'empty alternative'],
    [' DVbot', 'leading or trailing space'],
    ['(a|b)(c|d)(e|f)(g|h)(i|j)', 'more than 16 alternatives'],
  ])('%s is skipped (%s)', (pattern, reason) => {
    const r = patternToSubstrings(pattern);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe('vigil lists (command)', () => {
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await listsCommand(argv, {
      out: (s) => (out += s),
      err: (s) => (err += s),
      env: { DATA_DIR: path.join(dir, 'cli-data') },
    });
    return { code, out, err };
  };

  it('imports and prints a summary (text and JSON)', async () => {
    const text = await run(
      'import',
      'ip',
      file('cli-tor.txt', '10.10.10.1\nbad\n10.10.10.2\n'),
      '--label',
      'tor',
    );
    expect(text.code).toBe(0);
    expect(text.out).toContain(
      'imported 2 ip entries from cli-tor.txt (lines) into the global lists: verdict flag, label tor',
    );
    expect(text.out).toContain("line 2: invalid 'bad'");
    const json = await run(
      'import',
      'email_domain',
      file('cli-d.txt', 'a.test\n'),
      '--verdict',
      'block',
      '--json',
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      kind: 'email_domain',
      verdict: 'block',
      stored: 1,
      label: 'disposable',
    });
  });

  it('answers usage errors with exit code 2 and help, unreadable files with 1', async () => {
    expect((await run('--help')).out).toContain('Usage: vigil lists import <kind> <file>');
    for (const argv of [
      [],
      ['export'],
      ['import', 'planet', 'x.txt'],
      ['import', 'ip'],
      ['import', 'ip', 'x.txt', '--verdict', 'maybe'],
      ['import', 'ip', 'x.txt', '--format', 'csv'],
      ['import', 'ip', 'x.txt', '--bogus'],
      ['import', 'ip', 'x.txt', 'extra'],
    ]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain('Usage: vigil lists import');
    }
    const missing = await run('import', 'ip', path.join(dir, 'does-not-exist.txt'));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('cannot read');
    const allBad = await run('import', 'ip', file('all-bad.txt', 'x\ny\n'));
    expect(allBad.code).toBe(1);
    expect(allBad.out).toContain('invalid 2');
  });
});
