import { createHmac, timingSafeEqual } from 'node:crypto';
import { headerValue, type HeaderBag } from './request-info.js';
import { readWebhookPayload } from './wire-readers.js';
import type { WebhookPayload } from './wire-types.js';

/**
 * Why a webhook was refused.
 * @example if (err.code === 'timestamp_too_old') log.warn('replayed or delayed webhook');
 */
export const WEBHOOK_ERROR_CODES = [
  'missing_header',
  'invalid_timestamp',
  'timestamp_too_old',
  'timestamp_too_new',
  'invalid_signature',
  'invalid_secret',
  'invalid_body',
  'invalid_payload',
] as const;
/** @example const c: WebhookErrorCode = 'invalid_signature'; */
export type WebhookErrorCode = (typeof WEBHOOK_ERROR_CODES)[number];

/**
 * Thrown by {@link verifyWebhook}: answer the sender 400 (or 401) and do not act on the body.
 * @example
 * try { verifyWebhook(req.headers, req.body, secret); }
 * catch (err) { if (err instanceof WebhookVerificationError) return res.status(400).json({ error: err.code }); throw err; }
 */
export class WebhookVerificationError extends Error {
  readonly code: WebhookErrorCode;
  constructor(code: WebhookErrorCode, message: string, opts: { readonly cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WebhookVerificationError';
    this.code = code;
  }
}

/** Options of {@link verifyWebhook}. @example verifyWebhook(h, body, secret, { toleranceSec: 60 }); */
export interface VerifyWebhookOptions {
  /** Largest accepted distance between webhook-timestamp and now, in seconds; default 300. */
  readonly toleranceSec?: number;
  /** The current time in epoch milliseconds; default `Date.now()`. */
  readonly now?: number;
}

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const TIMESTAMP = /^\d{1,15}$/;
/** A header carries at most this many signatures (rotation needs two or three). */
const MAX_SIGNATURES = 16;
const SIGNATURE_BYTES = 32;

function decodeSecret(secret: string): Buffer {
  const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  if (!BASE64.test(b64)) {
    throw new WebhookVerificationError(
      'invalid_secret',
      'the webhook secret must be whsec_ followed by base64',
    );
  }
  const key = Buffer.from(b64, 'base64');
  if (key.length === 0) throw new WebhookVerificationError('invalid_secret', 'the webhook secret is empty');
  return key;
}

function bodyBytes(rawBody: unknown): Buffer {
  if (typeof rawBody === 'string') return Buffer.from(rawBody, 'utf8');
  if (rawBody instanceof Uint8Array)
    return Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  throw new WebhookVerificationError(
    'invalid_body',
    'pass the raw request body (string or Buffer) exactly as received, not parsed JSON',
  );
}

function required(headers: HeaderBag, name: string): string {
  const v = headerValue(headers, name);
  if (v === undefined || v === '')
    throw new WebhookVerificationError('missing_header', `missing ${name} header`);
  return v;
}

function hmac(key: Buffer, id: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

/**
 * Signs a body as Vigil does (Standard Webhooks), for tests of your own webhook receiver.
 * Returns the three headers to send with the body.
 * @example
 * const headers = signWebhook('msg_1', Math.floor(Date.now() / 1000), body, 'whsec_...');
 * await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
 */
export function signWebhook(
  id: string,
  timestampSec: number,
  rawBody: string | Uint8Array,
  secret: string,
): {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
} {
  const ts = String(Math.floor(timestampSec));
  const sig = hmac(decodeSecret(secret), id, ts, bodyBytes(rawBody)).toString('base64');
  return { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` };
}

/**
 * Verifies a Vigil webhook (Standard Webhooks: HMAC-SHA256 over `id.timestamp.body`) and returns
 * its parsed payload. Checks the timestamp against `toleranceSec` (replays), compares signatures
 * in constant time, and accepts any of several secrets and any of several `v1,` signatures
 * (secret rotation). Pass the body exactly as received: re-serialised JSON does not verify.
 * Throws {@link WebhookVerificationError}.
 * @example
 * app.post('/vigil/webhook', express.raw({ type: 'application/json' }), (req, res) => {
 *   const payload = verifyWebhook(req.headers, req.body, [process.env.VIGIL_WEBHOOK_SECRET!]);
 *   res.sendStatus(204);
 * });
 */
export function verifyWebhook(
  headers: HeaderBag,
  rawBody: string | Uint8Array,
  secret: string | readonly string[],
  opts: VerifyWebhookOptions = {},
): WebhookPayload {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0) throw new WebhookVerificationError('invalid_secret', 'no webhook secret given');
  const keys = secrets.map(decodeSecret);
  const body = bodyBytes(rawBody);
  const id = required(headers, 'webhook-id');
  const timestamp = required(headers, 'webhook-timestamp');
  const signatureHeader = required(headers, 'webhook-signature');

  if (!TIMESTAMP.test(timestamp)) {
    throw new WebhookVerificationError('invalid_timestamp', 'webhook-timestamp must be epoch seconds');
  }
  const nowSec = Math.floor((opts.now ?? Date.now()) / 1000);
  const tolerance = opts.toleranceSec ?? 300;
  const age = nowSec - Number(timestamp);
  if (age > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_too_old',
      `webhook timestamp is ${age}s old (tolerance ${tolerance}s)`,
    );
  }
  if (-age > tolerance) {
    throw new WebhookVerificationError('timestamp_too_new', `webhook timestamp is ${-age}s in the future`);
  }

  const expected = keys.map((k) => hmac(k, id, timestamp, body));
  const candidates = signatureHeader
    .split(' ')
    .filter((s) => s !== '')
    .slice(0, MAX_SIGNATURES);
  let match = false;
  for (const candidate of candidates) {
    const comma = candidate.indexOf(',');
    if (comma < 0 || candidate.slice(0, comma) !== 'v1') continue;
    const b64 = candidate.slice(comma + 1);
    if (!BASE64.test(b64)) continue;
    const given = Buffer.from(b64, 'base64');
    if (given.length !== SIGNATURE_BYTES) continue;
    // Every comparison runs, so timing does not reveal which secret or signature matched.
    for (const e of expected) if (timingSafeEqual(given, e)) match = true;
  }
  if (!match)
    throw new WebhookVerificationError('invalid_signature', 'no webhook signature matches the secret');

  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new WebhookVerificationError('invalid_payload', 'the webhook body is not JSON', { cause: err });
  }
  try {
    return readWebhookPayload(parsed);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new WebhookVerificationError('invalid_payload', `unexpected webhook payload: ${why}`, {
      cause: err,
    });
  }
}
