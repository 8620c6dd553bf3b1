import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapColumns } from './batch-columns.js';
import { planEntityShards } from './shard-plan.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-plan-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('planEntityShards', () => {
  it('keeps users who share a device, an IP or a referral in one shard', () => {
    const lines = ['id,type,user,device,ip,referrer'];
    // a farm: 6 accounts on one device; a ring: 4 accounts referred by r1; two users on one IP
    for (let i = 0; i < 6; i++) lines.push(`f${i},signup,farm${i},devX,,`);
    for (let i = 0; i < 4; i++) lines.push(`r${i},signup,ring${i},,,r1`);
    lines.push('p1,login,pa,,"10.0.0.1",', 'p2,login,pb,,10.0.0.1,');
    // 40 unrelated users, twice each
    for (let k = 0; k < 2; k++) for (let i = 0; i < 40; i++) lines.push(`s${k}-${i},login,solo${i},d${i},,`);
    lines.push('n1,login,,,,', 'n2,login,,,,');
    const file = path.join(dir, 'plan.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const owners = planEntityShards(file, 'csv', mapColumns(lines[0]!.split(',')), 2);
    expect(owners.length).toBe(lines.length - 1);
    const farm = [...owners.slice(0, 6)];
    expect(new Set(farm).size).toBe(1);
    expect(new Set(owners.slice(6, 10)).size).toBe(1);
    expect(owners[10]).toBe(owners[11]);
    // the same user keeps its shard
    for (let i = 0; i < 40; i++) expect(owners[12 + i]).toBe(owners[52 + i]);
    // rows without user, device or IP go round-robin by ordinal
    expect([owners[92], owners[93]]).toEqual([92 % 2, 93 % 2]);
    // balanced: both shards get a fair share
    const zero = owners.filter((s) => s === 0).length;
    expect(zero).toBeGreaterThan(35);
    expect(zero).toBeLessThan(59);
  });

  it('reads NDJSON too', () => {
    const file = path.join(dir, 'plan.ndjson');
    writeFileSync(
      file,
      [
        '{"id":"a","type":"login","user":"u1","device":"d"}',
        'not json',
        '',
        '{"id":"b","type":"login","user":"u2","device":"d"}',
        '{"id":"c","type":"login","user":"u3"}',
      ].join('\n'),
    );
    const owners = planEntityShards(file, 'ndjson', undefined, 3);
    expect(owners.length).toBe(4);
    expect(owners[0]).toBe(owners[2]);
    expect(owners[1]).toBe(1 % 3);
  });
});
