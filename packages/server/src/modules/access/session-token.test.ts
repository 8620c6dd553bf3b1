import { describe, expect, it } from 'vitest';
import { createSessionTokens } from './session-token.js';

const secret = new Uint8Array(32).fill(7);
const claims = { app: 'app1', wallet: '0xAbC', iat: 1000, exp: 1000 + 15 * 60_000 };

describe('session tokens', () => {
  it('verifies its own token until it expires', () => {
    const t = createSessionTokens(secret);
    const { token, claims: issued } = t.issue(claims);
    expect(token.split('.')).toHaveLength(3);
    expect(t.verify(token, 2000)).toEqual({ ...claims, jti: issued.jti });
    expect(t.verify(token, claims.exp - 1)).toBeDefined();
    expect(t.verify(token, claims.exp)).toBeUndefined();
  });

  it('rejects tampered claims, another secret, and garbage', () => {
    const t = createSessionTokens(secret);
    const { token } = t.issue(claims);
    const [p, body, mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, wallet: '0xEvil', jti: 'x' })).toString(
      'base64url',
    );
    expect(t.verify(`${p}.${forged}.${mac}`, 2000)).toBeUndefined();
    expect(createSessionTokens(new Uint8Array(32).fill(8)).verify(token, 2000)).toBeUndefined();
    expect(t.verify(`${p}.${body}`, 2000)).toBeUndefined();
    expect(t.verify(`${p}.${body}.${mac}x`, 2000)).toBeUndefined();
    expect(t.verify('', 2000)).toBeUndefined();
    expect(t.verify('vgs1.!!!.???', 2000)).toBeUndefined();
  });

  it('refuses a short secret', () => {
    expect(() => createSessionTokens(new Uint8Array(16))).toThrow('at least 32 bytes');
  });
});
