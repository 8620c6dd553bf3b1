import { describe, expect, it } from 'vitest';
import { readDecision, readErrorBody, readUserStatus } from './wire-readers.js';

const decision = {
  eventId: 'e1',
  app: 'a',
  risk: 0.82,
  score: 82,
  level: 'CRITICAL',
  flag: 'RED',
  outcome: 'block',
  confidence: 0.7,
  behaviorScore: 20,
  accessLevel: 'MINIMAL',
  captcha: true,
  enforcement: {
    action: 'auto_block',
    tier: 'guest',
    requiresReview: true,
    reviewSlaMs: 3600000,
    durationMs: 1000,
  },
  anomalies: [],
  alerts: ['VELOCITY_ANOMALY'],
  signals: [
    { code: 'x.y', score: 0.8, severity: 'critical', category: 'velocity', reason: 'r', evidence: { n: 3 } },
  ],
  models: [{ model: 'if', score: 0.6, live: true, contributions: [{ feature: 'f', value: 0.2 }] }],
  explanation: ['because'],
  failures: [],
  extraFieldFromANewerServer: 1,
};

describe('readDecision', () => {
  it('reads a full decision and drops unknown fields', () => {
    const d = readDecision(decision);
    expect(d.level).toBe('CRITICAL');
    expect(d.enforcement).toEqual({
      action: 'auto_block',
      tier: 'guest',
      requiresReview: true,
      reviewSlaMs: 3600000,
      durationMs: 1000,
    });
    expect(d.signals[0]).toMatchObject({ code: 'x.y', evidence: { n: 3 } });
    expect(d).not.toHaveProperty('extraFieldFromANewerServer');
  });

  it('refuses a wrong shape with invalid_response naming the path', () => {
    expect(() => readDecision({ ...decision, level: 'BAD' })).toThrow(/\/level must be one of/);
    expect(() => readDecision({ ...decision, signals: [{ code: 1 }] })).toThrow(/\/signals\/0\/code/);
    expect(() => readDecision('nope')).toThrowError(expect.objectContaining({ code: 'invalid_response' }));
  });
});

describe('readUserStatus', () => {
  it('reads the documented shape', () => {
    const s = readUserStatus(
      {
        user: 'u1',
        app: 'a',
        blocked: false,
        suspended: true,
        suspendedUntil: 5,
        restrictedFeatures: ['betting'],
        accessLevel: 'RESTRICTED',
        behaviorScore: 40,
        risk: 0.5,
        enforcements: [{ id: 'e', action: 'temp_suspend', status: 'active', expiresAt: 5, features: [] }],
      },
      'u1',
    );
    expect(s).toMatchObject({ suspended: true, suspendedUntil: 5, restrictedFeatures: ['betting'] });
  });

  it('tolerates a server that omits secondary fields or uses status/endsAt', () => {
    const s = readUserStatus(
      {
        app: 'a',
        user: 'u1',
        status: 'suspended',
        blocked: false,
        enforcements: [{ id: 'e', action: 'x', endsAt: 9 }],
      },
      'u1',
    );
    expect(s).toMatchObject({
      suspended: true,
      suspendedUntil: null,
      restrictedFeatures: [],
      accessLevel: 'FULL',
      enforcements: [{ id: 'e', action: 'x', status: 'active', expiresAt: 9, features: [] }],
    });
  });

  it('requires blocked', () => {
    expect(() => readUserStatus({ user: 'u1' }, 'u1')).toThrow(/\/blocked must be a boolean/);
  });
});

describe('readErrorBody', () => {
  it('reads the flat and the nested forms', () => {
    expect(readErrorBody({ error: 'x', message: 'm', details: [{ path: '/a', message: 'b' }, 7] })).toEqual({
      error: 'x',
      message: 'm',
      details: [{ path: '/a', message: 'b' }],
    });
    expect(readErrorBody({ error: { code: 'y', message: 'n' } })).toEqual({
      error: 'y',
      message: 'n',
      details: [],
    });
    expect(readErrorBody('<html>')).toBeUndefined();
  });
});
