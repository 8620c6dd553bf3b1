import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
  type WebhookErrorCode,
} from './webhook-verify.js';

const SECRET = `whsec_${Buffer.from('a-32-byte-secret-for-the-tests!!').toString('base64')}`;
const NEW_SECRET = `whsec_${Buffer.from('the-rotated-secret-of-the-tests!').toString('base64')}`;
const NOW = 1_750_000_000_000;
const BODY = JSON.stringify({
  type: 'enforcement.created',
  app: 'casino',
  data: { user: 'u1', enforcement: { action: 'auto_block' } },
  at: NOW,
});

/** Headers as the `standardwebhooks` package (a real sender) signs them. */
function signedByLibrary(body: string, secret = SECRET, at = NOW, id = 'msg_1') {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, new Date(at), body),
  };
}

function codeOf(fn: () => unknown): WebhookErrorCode | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof WebhookVerificationError) return err.code;
    throw err;
  }
}

describe('verifyWebhook', () => {
  it('accepts a delivery signed by the standardwebhooks package and returns its payload', () => {
    const payload = verifyWebhook(signedByLibrary(BODY), BODY, SECRET, { now: NOW });
    expect(payload).toEqual({
      type: 'enforcement.created',
      app: 'casino',
      data: { user: 'u1', enforcement: { action: 'auto_block' } },
      at: NOW,
    });
  });

  it('accepts the body as a Buffer and Fetch Headers', () => {
    const h = new Headers(signedByLibrary(BODY));
    expect(verifyWebhook(h, Buffer.from(BODY), SECRET, { now: NOW }).type).toBe('enforcement.created');
  });

  it('rejects a tampered body', () => {
    const h = signedByLibrary(BODY);
    const tampered = BODY.replace('"u1"', '"u2"');
    expect(codeOf(() => verifyWebhook(h, tampered, SECRET, { now: NOW }))).toBe('invalid_signature');
    // Re-serialised JSON (different whitespace) is a different body too.
    const pretty = JSON.stringify(JSON.parse(BODY), null, 2);
    expect(codeOf(() => verifyWebhook(h, pretty, SECRET, { now: NOW }))).toBe('invalid_signature');
  });

  it('rejects a tampered id or timestamp (both are signed)', () => {
    const h = signedByLibrary(BODY);
    expect(codeOf(() => verifyWebhook({ ...h, 'webhook-id': 'msg_2' }, BODY, SECRET, { now: NOW }))).toBe(
      'invalid_signature',
    );
    const ts = String(Number(h['webhook-timestamp']) + 1);
    expect(codeOf(() => verifyWebhook({ ...h, 'webhook-timestamp': ts }, BODY, SECRET, { now: NOW }))).toBe(
      'invalid_signature',
    );
  });

  it('rejects the wrong secret', () => {
    const wrong = `whsec_${Buffer.from('some-other-secret').toString('base64')}`;
    expect(codeOf(() => verifyWebhook(signedByLibrary(BODY), BODY, wrong, { now: NOW }))).toBe(
      'invalid_signature',
    );
  });

  it('rejects an old timestamp (replay) and one too far in the future', () => {
    const old = signedByLibrary(BODY, SECRET, NOW - 301_000);
    expect(codeOf(() => verifyWebhook(old, BODY, SECRET, { now: NOW }))).toBe('timestamp_too_old');
    expect(verifyWebhook(old, BODY, SECRET, { now: NOW, toleranceSec: 600 }).app).toBe('casino');
    const edge = signedByLibrary(BODY, SECRET, NOW - 300_000);
    expect(verifyWebhook(edge, BODY, SECRET, { now: NOW }).app).toBe('casino');
    const future = signedByLibrary(BODY, SECRET, NOW + 301_000);
    expect(codeOf(() => verifyWebhook(future, BODY, SECRET, { now: NOW }))).toBe('timestamp_too_new');
  });

  it('uses the current time by default', () => {
    const fresh = signedByLibrary(BODY, SECRET, Date.now());
    expect(verifyWebhook(fresh, BODY, SECRET).app).toBe('casino');
    expect(codeOf(() => verifyWebhook(signedByLibrary(BODY), BODY, SECRET))).toBe('timestamp_too_old');
  });

  it('supports rotation: several secrets, several signatures', () => {
    // The receiver already knows the new secret; the sender still signs with the old one.
    expect(verifyWebhook(signedByLibrary(BODY, SECRET), BODY, [NEW_SECRET, SECRET], { now: NOW }).app).toBe(
      'casino',
    );
    // The sender signs with both; a receiver with only the new secret accepts.
    const both = {
      ...signedByLibrary(BODY, SECRET),
      'webhook-signature': `${signedByLibrary(BODY, SECRET)['webhook-signature']} ${signedByLibrary(BODY, NEW_SECRET)['webhook-signature']}`,
    };
    expect(verifyWebhook(both, BODY, NEW_SECRET, { now: NOW }).app).toBe('casino');
    expect(codeOf(() => verifyWebhook(both, BODY, [], { now: NOW }))).toBe('invalid_secret');
  });

  it('ignores unknown signature versions and malformed entries', () => {
    const good = signedByLibrary(BODY)['webhook-signature'];
    const h = { ...signedByLibrary(BODY), 'webhook-signature': `v2,abc v1,!!! v1,AAAA ${good}` };
    expect(verifyWebhook(h, BODY, SECRET, { now: NOW }).app).toBe('casino');
    const onlyBad = { ...signedByLibrary(BODY), 'webhook-signature': 'v1a,xyz v2,' + good.slice(3) };
    expect(codeOf(() => verifyWebhook(onlyBad, BODY, SECRET, { now: NOW }))).toBe('invalid_signature');
  });

  it('accepts a secret without the whsec_ prefix, as standardwebhooks does', () => {
    expect(verifyWebhook(signedByLibrary(BODY), BODY, SECRET.slice(6), { now: NOW }).app).toBe('casino');
  });

  it('names what is missing or malformed', () => {
    const h = signedByLibrary(BODY);
    const { ['webhook-id']: _id, ...noId } = h;
    expect(codeOf(() => verifyWebhook(noId, BODY, SECRET, { now: NOW }))).toBe('missing_header');
    const { ['webhook-signature']: _sig, ...noSig } = h;
    expect(codeOf(() => verifyWebhook(noSig, BODY, SECRET, { now: NOW }))).toBe('missing_header');
    expect(
      codeOf(() => verifyWebhook({ ...h, 'webhook-timestamp': '12abc' }, BODY, SECRET, { now: NOW })),
    ).toBe('invalid_timestamp');
    expect(codeOf(() => verifyWebhook(h, BODY, 'whsec_not base64!', { now: NOW }))).toBe('invalid_secret');
    const parsed: unknown = JSON.parse(BODY);
    // A JavaScript caller passing the parsed body gets a clear error instead of a signature mismatch.
    expect(codeOf(() => verifyWebhook(h, parsed as string, SECRET, { now: NOW }))).toBe('invalid_body');
  });

  it('refuses a correctly signed body that is not a webhook payload', () => {
    const notJson = 'hello';
    expect(codeOf(() => verifyWebhook(signedByLibrary(notJson), notJson, SECRET, { now: NOW }))).toBe(
      'invalid_payload',
    );
    const wrongShape = JSON.stringify({ type: 1, app: 'a', at: NOW });
    expect(codeOf(() => verifyWebhook(signedByLibrary(wrongShape), wrongShape, SECRET, { now: NOW }))).toBe(
      'invalid_payload',
    );
  });
});

describe('signWebhook', () => {
  it('signs so that the standardwebhooks package verifies', () => {
    const ts = Math.floor(Date.now() / 1000);
    const headers = signWebhook('msg_9', ts, BODY, SECRET);
    expect(headers['webhook-timestamp']).toBe(String(ts));
    expect(new Webhook(SECRET).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
  });

  it('matches the library signature byte for byte', () => {
    const lib = signedByLibrary(BODY);
    expect(signWebhook('msg_1', NOW / 1000, BODY, SECRET)).toEqual(lib);
  });
});
