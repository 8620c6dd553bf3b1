import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Bytes of key material in a new secret. */
const SECRET_BYTES = 32;

/**
 * A new signing secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes.
 * @example generateWebhookSecret(); // 'whsec_3q2+7w...'
 */
export function generateWebhookSecret(): string {
  return `${PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/**
 * The HMAC key of a `whsec_` secret (the base64 after the prefix). Throws on a malformed secret.
 * @example secretKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').length; // 24
 */
export function secretKey(secret: string): Buffer {
  const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  if (!BASE64.test(b64)) throw new Error('a webhook secret is whsec_ followed by base64');
  return Buffer.from(b64, 'base64');
}

/**
 * The `webhook-signature` header for a message: one `v1,<base64 HMAC-SHA256(key,
 * "{id}.{timestamp}.{body}")>` per secret, space-separated (during a rotation both the new and
 * the old secret sign, so receivers holding either verify).
 * @example
 * signatureHeader(['whsec_...'], 'msg_01J...', 1767225600, '{"type":"decision.high_risk"}'); // 'v1,K5oZ...'
 */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestampSec: number,
  body: string,
): string {
  const content = `${id}.${Math.floor(timestampSec)}.${body}`;
  return secrets
    .map((s) => `v1,${createHmac('sha256', secretKey(s)).update(content, 'utf8').digest('base64')}`)
    .join(' ');
}
