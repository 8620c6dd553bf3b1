import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, secretKey, signatureHeader } from './webhook-signature.js';

describe('webhook signatures (Standard Webhooks)', () => {
  it('matches the reference vector of the specification', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const header = signatureHeader(
      [secret],
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(header).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    // and the standardwebhooks package signs the same
    const ref = new Webhook(secret).sign(
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      new Date(1614265330 * 1000),
      '{"test": 2432232314}',
    );
    expect(header).toBe(ref);
  });

  it('new secrets are whsec_ + base64 of 32 random bytes, all different', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(a)).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it('signs with every secret during a rotation; a receiver with either one verifies', () => {
    const [oldS, newS] = [generateWebhookSecret(), generateWebhookSecret()];
    const body = '{"type":"enforcement.created","app":"a","data":{"user":"u1"},"at":1}';
    const ts = Math.floor(Date.now() / 1000);
    const header = signatureHeader([newS, oldS], 'msg_1', ts, body);
    const parts = header.split(' ');
    expect(parts).toHaveLength(2);
    for (const p of parts) expect(p).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': header };
    expect(new Webhook(oldS).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(newS).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
    // a changed body does not verify
    expect(() => new Webhook(newS).verify(body.replace('u1', 'u2'), headers)).toThrow();
  });

  it('refuses a malformed secret', () => {
    expect(() => secretKey('whsec_not base64!')).toThrow(/base64/);
  });
});
