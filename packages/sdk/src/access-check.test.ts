import { describe, expect, it } from 'vitest';
import { checkAccess, resolveAccess, type StatusSource } from './access-check.js';
import { VigilError } from './vigil-error.js';
import { cleanStatus } from './wire-readers.js';
import type { UserStatus } from './wire-types.js';

const NOW = 1_750_000_000_000;
const status = (over: Partial<UserStatus>): UserStatus => ({ ...cleanStatus('u1', 'app'), ...over });

describe('checkAccess', () => {
  it('allows a clean user', () => {
    expect(checkAccess(status({}), { feature: 'betting', now: NOW })).toBeUndefined();
  });

  it('blocked wins over suspended and restricted', () => {
    const s = status({
      blocked: true,
      suspended: true,
      suspendedUntil: NOW + 1000,
      restrictedFeatures: ['betting'],
    });
    expect(checkAccess(s, { feature: 'betting', now: NOW })).toEqual({
      error: 'user_blocked',
      message: 'This account is blocked.',
    });
  });

  it('a suspension with an end carries it; one without lasts until lifted', () => {
    expect(checkAccess(status({ suspended: true, suspendedUntil: NOW + 60_000 }), { now: NOW })).toEqual({
      error: 'user_suspended',
      message: `This account is suspended until ${new Date(NOW + 60_000).toISOString()}.`,
      until: new Date(NOW + 60_000).toISOString(),
    });
    expect(checkAccess(status({ suspended: true, suspendedUntil: null }), { now: NOW })).toEqual({
      error: 'user_suspended',
      message: 'This account is suspended.',
    });
  });

  it('a suspension that ended while the status was cached no longer blocks', () => {
    expect(checkAccess(status({ suspended: true, suspendedUntil: NOW - 1 }), { now: NOW })).toBeUndefined();
  });

  it('a restricted feature is refused only when that feature is asked for', () => {
    const s = status({ restrictedFeatures: ['withdrawals'] });
    expect(checkAccess(s, { now: NOW })).toBeUndefined();
    expect(checkAccess(s, { feature: 'betting', now: NOW })).toBeUndefined();
    expect(checkAccess(s, { feature: 'withdrawals', now: NOW })).toMatchObject({
      error: 'feature_restricted',
      feature: 'withdrawals',
    });
  });
});

describe('resolveAccess', () => {
  const failing = (failOpen: boolean): StatusSource => ({
    failOpen,
    getUserStatus: () => Promise.reject(new VigilError('timeout', 'slow')),
  });

  it('reports the error to onError and applies the policy, the middleware option winning', async () => {
    const seen: unknown[] = [];
    const opts = { getUserId: () => 'u1', onError: (e: unknown) => seen.push(e) };
    expect(await resolveAccess({}, { ...opts, vigil: failing(true) })).toEqual({
      allowed: true,
      status: undefined,
    });
    expect(await resolveAccess({}, { ...opts, vigil: failing(true), failOpen: false })).toMatchObject({
      allowed: false,
      httpStatus: 503,
    });
    expect(await resolveAccess({}, { ...opts, vigil: failing(false) })).toMatchObject({ allowed: false });
    expect(seen).toHaveLength(3);
  });

  it('awaits an async getUserId and passes the status on', async () => {
    const vigil: StatusSource = { failOpen: true, getUserStatus: async (u) => status({ user: u }) };
    const v = await resolveAccess({}, { vigil, getUserId: async () => 'u9' });
    expect(v).toMatchObject({ allowed: true, status: { user: 'u9' } });
  });
});
