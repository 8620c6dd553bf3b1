import { describe, expect, it } from 'vitest';
import { validateEvent } from './validate-event.js';

const now = Date.UTC(2026, 10, 21, 12);

describe('validateEvent', () => {
  it('normalises a good event', () => {
    const r = validateEvent(
      {
        id: 'e1',
        type: 'login',
        user: 'u1',
        ip: '::ffff:1.2.3.4',
        email: 'A@Mail.Example.com',
        at: '2026-11-21T11:00:00Z',
      },
      { now, app: 'shop' },
    );
    expect(r).toEqual({
      ok: true,
      value: {
        id: 'e1',
        app: 'shop',
        type: 'login',
        at: Date.UTC(2026, 10, 21, 11),
        user: 'u1',
        ip: '1.2.3.4',
        email: 'a@mail.example.com',
        emailDomain: 'mail.example.com',
      },
    });
  });

  it('defaults the time to receipt and accepts epoch ms and custom types', () => {
    const r = validateEvent({ id: 'e2', type: 'custom:quest_done' }, { now, app: 'g' });
    expect(r.ok && r.value.at).toBe(now);
    const r2 = validateEvent({ id: 'e3', type: 'payment', at: now - 1000, amount: 5 }, { now, app: 'g' });
    expect(r2.ok && r2.value.at).toBe(now - 1000);
  });

  it('reports every problem with its path and never throws', () => {
    const r = validateEvent({ id: 5, type: 'login', geo: { lat: 100, lon: 0 }, extra: 1 }, { now, app: 'a' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.problems.map((p) => p.path);
    expect(paths).toContain('/id');
    expect(paths).toContain('/geo/lat');
    expect(paths).toContain('/extra');
  });

  it('rejects unknown types, bad IPs, bad dates, far-future and far-past times', () => {
    const r = validateEvent({ id: 'x', type: 'nope', ip: '1.2.3', at: 'yesterday' }, { now, app: 'a' });
    expect(r.ok ? [] : r.problems.map((p) => p.path).sort()).toEqual(['/at', '/ip', '/type']);
    const fut = validateEvent({ id: 'x', type: 'login', at: now + 3_600_000 }, { now, app: 'a' });
    expect(fut.ok).toBe(false);
    const past = validateEvent({ id: 'x', type: 'login', at: '1999-01-01T00:00:00Z' }, { now, app: 'a' });
    expect(past.ok).toBe(false);
  });

  it.each([null, 42, 'str', [], { type: 'login' }, { id: '', type: 'login' }])('rejects %j', (input) => {
    expect(validateEvent(input, { now, app: 'a' }).ok).toBe(false);
  });

  it('requires an app', () => {
    const r = validateEvent({ id: 'x', type: 'login' }, { now });
    expect(r.ok ? [] : r.problems).toEqual([{ path: '/app', message: 'app is required' }]);
  });
});

describe('tier', () => {
  it('accepts known tiers and rejects others', () => {
    const ok = validateEvent({ id: 't1', type: 'login', tier: 'vip' }, { now, app: 'a' });
    expect(ok.ok && ok.value.tier).toBe('vip');
    const bad = validateEvent({ id: 't2', type: 'login', tier: 'diamond' }, { now, app: 'a' });
    expect(bad.ok ? [] : bad.problems.map((p) => p.path)).toContain('/tier');
  });
});
