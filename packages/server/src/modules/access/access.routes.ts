import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ACCESS_LEVELS } from '@vigil/engine';
import Type from 'typebox';
import { DomainError } from '../../errors.js';
import { principalOf, requiredAppScope } from '../../http/auth-hook.js';
import { EpochMs, responses } from '../../http/schemas.js';
import { SNIFFED_TYPES } from './mime-sniff.js';
import {
  ACCESS_ERROR_CODES,
  type AccessResult,
  type AccessService,
  type UploadValidation,
} from './access.service.js';
import type { PasskeyService } from './passkey.service.js';
import { UPLOAD_ERROR_CODES } from './upload-check.js';

/** Most characters of `head` (base64 of the first bytes: 6 KB is plenty for every signature). @example head.length <= MAX_HEAD_BASE64 */
export const MAX_HEAD_BASE64 = 8192;
const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

const AppQuery = Type.Object(
  { app: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Admin keys: which app' })) },
  { additionalProperties: false },
);
const UserId = Type.String({ minLength: 1, maxLength: 200 });
const Wallet = Type.String({ minLength: 1, maxLength: 64, description: '0x-prefixed 20-byte hex address' });

const ErrorItem = <C extends readonly string[]>(codes: C) =>
  Type.Object({ code: Type.Enum(codes), message: Type.String() });

/** `POST /v1/access/validate` answer (the asset gatekeeper's validate_access shape plus context). */
export const AccessResultSchema = Type.Object({
  user: Type.String(),
  resource: Type.Union([Type.String(), Type.Null()]),
  access_granted: Type.Boolean(),
  access_level: Type.Enum(ACCESS_LEVELS),
  behavior_score: Type.Union([Type.Number(), Type.Null()]),
  required_level: Type.Enum(ACCESS_LEVELS),
  status: Type.Union([Type.String(), Type.Null()]),
  errors: Type.Array(ErrorItem(ACCESS_ERROR_CODES)),
});

/** `POST /v1/uploads/validate` answer. */
export const UploadResultSchema = Type.Object({
  valid: Type.Boolean(),
  user: Type.String(),
  filename: Type.String(),
  claimed_type: Type.String(),
  detected_type: Type.Union([Type.Enum(SNIFFED_TYPES), Type.Null()]),
  extension: Type.String(),
  extension_type: Type.Union([Type.Enum(SNIFFED_TYPES), Type.Null()]),
  content_length: Type.Integer(),
  max_bytes: Type.Integer(),
  sniffed: Type.Boolean({ description: 'Whether the type was read from the bytes' }),
  errors: Type.Array(ErrorItem(UPLOAD_ERROR_CODES)),
});

/** The access answer in its wire shape. @example reply.send(accessBody(await access.validateAccess(appId, q, actor))) */
export function accessBody(r: AccessResult) {
  return {
    user: r.user,
    resource: r.resource,
    access_granted: r.accessGranted,
    access_level: r.accessLevel,
    behavior_score: r.behaviorScore,
    required_level: r.requiredLevel,
    status: r.status,
    errors: r.errors,
  };
}

/** The upload answer in its wire shape. @example reply.send(uploadBody(await access.validateUpload(appId, q, actor))) */
export function uploadBody(u: UploadValidation) {
  return {
    valid: u.valid,
    user: u.user,
    filename: u.filename,
    claimed_type: u.claimedType,
    detected_type: u.detectedType,
    extension: u.extension,
    extension_type: u.extensionType,
    content_length: u.contentLength,
    max_bytes: u.maxBytes,
    sniffed: u.sniffed,
    errors: u.errors,
  };
}

/**
 * Decodes `head` (standard or URL-safe base64); a malformed value is a 400 on `/head`.
 * @example decodeHead('/9j/4A=='); // Uint8Array [0xff, 0xd8, 0xff, 0xe0]
 */
export function decodeHead(head: string, path = '/head'): Uint8Array {
  if (!BASE64_RE.test(head) || head.replace(/=+$/, '').length % 4 === 1) {
    throw new DomainError('validation_failed', 'invalid head', {
      details: [{ path, message: 'must be the base64 of the first bytes of the file' }],
    });
  }
  return new Uint8Array(Buffer.from(head, head.includes('-') || head.includes('_') ? 'base64url' : 'base64'));
}

function actorOf(req: Parameters<typeof principalOf>[0]): string {
  return `key:${principalOf(req).keyId}`;
}

/**
 * The asset gatekeeper routes: `POST /v1/access/validate`, `POST /v1/uploads/validate`, and wallet
 * passkeys `POST /v1/access/challenge`, `POST /v1/access/verify`, `POST /v1/access/session`.
 * @example await app.register(accessRoutes({ access, passkeys }));
 */
export function accessRoutes(deps: {
  readonly access: AccessService;
  readonly passkeys: PasskeyService;
}): FastifyPluginAsyncTypebox {
  const { access, passkeys } = deps;
  return async (app) => {
    app.post(
      '/v1/access/validate',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['access'],
          summary:
            "A user's access level from the stored behaviour score and the app's thresholds (audit-logged)",
          querystring: AppQuery,
          body: Type.Object(
            {
              user: UserId,
              resource: Type.Optional(
                Type.String({
                  minLength: 1,
                  maxLength: 100,
                  description: 'Names a resource of gatekeeper.access.resources',
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: responses({ 200: AccessResultSchema }),
        },
      },
      async (req) => {
        const appId = requiredAppScope(req, req.query.app);
        return accessBody(await access.validateAccess(appId, req.body, actorOf(req)));
      },
    );

    app.post(
      '/v1/uploads/validate',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['access'],
          summary:
            'Check an upload: size, type sniffed from its first bytes vs the claim and extension, allowed types',
          querystring: AppQuery,
          body: Type.Object(
            {
              user: UserId,
              filename: Type.String({ minLength: 1, maxLength: 255 }),
              contentType: Type.String({ maxLength: 255 }),
              contentLength: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
              head: Type.String({
                minLength: 1,
                maxLength: MAX_HEAD_BASE64,
                description: 'base64 of the first bytes of the file (at least 16; 512 recommended for SVG)',
              }),
            },
            { additionalProperties: false },
          ),
          response: responses({ 200: UploadResultSchema }),
        },
      },
      async (req) => {
        const appId = requiredAppScope(req, req.query.app);
        const b = req.body;
        const head = decodeHead(b.head);
        return uploadBody(
          await access.validateUpload(
            appId,
            {
              user: b.user,
              filename: b.filename,
              contentType: b.contentType,
              contentLength: b.contentLength,
              head,
            },
            actorOf(req),
          ),
        );
      },
    );

    app.post(
      '/v1/access/challenge',
      {
        config: { auth: 'app' },
        schema: {
          tags: ['access'],
          summary: 'A challenge for a wallet to sign with personal_sign (EIP-191)',
          body: Type.Object({ wallet: Wallet }, { additionalProperties: false }),
          response: responses({
            200: Type.Object({
              challenge: Type.String({ description: 'The exact message to sign' }),
              nonce: Type.String(),
              wallet: Type.String({ description: 'Checksummed address' }),
              expiresAt: EpochMs,
            }),
          }),
        },
      },
      async (req) => passkeys.challenge(requiredAppScope(req, undefined), req.body.wallet),
    );

    app.post(
      '/v1/access/verify',
      {
        config: { auth: 'app' },
        schema: {
          tags: ['access'],
          summary: "Verify the wallet's signature of its challenge; answers a 15-minute session token",
          body: Type.Object(
            {
              wallet: Wallet,
              signature: Type.String({
                minLength: 1,
                maxLength: 200,
                description: '0x-prefixed hex signature',
              }),
            },
            { additionalProperties: false },
          ),
          response: responses({
            200: Type.Object({
              verified: Type.Literal(true),
              wallet: Type.String(),
              token: Type.String(),
              expiresAt: EpochMs,
            }),
          }),
        },
      },
      async (req) => {
        const appId = requiredAppScope(req, undefined);
        const s = await passkeys.verify(appId, req.body.wallet, req.body.signature, actorOf(req));
        return { verified: true as const, wallet: s.wallet, token: s.token, expiresAt: s.expiresAt };
      },
    );

    app.post(
      '/v1/access/session',
      {
        config: { auth: 'app' },
        schema: {
          tags: ['access'],
          summary: 'Check a wallet session token (valid, for this app, not expired)',
          body: Type.Object(
            { token: Type.String({ minLength: 1, maxLength: 2000 }) },
            { additionalProperties: false },
          ),
          response: responses({
            200: Type.Object({
              valid: Type.Boolean(),
              wallet: Type.Union([Type.String(), Type.Null()]),
              expiresAt: Type.Union([EpochMs, Type.Null()]),
            }),
          }),
        },
      },
      async (req) => {
        const claims = passkeys.session(requiredAppScope(req, undefined), req.body.token);
        return claims === undefined
          ? { valid: false, wallet: null, expiresAt: null }
          : { valid: true, wallet: claims.wallet, expiresAt: claims.exp };
      },
    );
  };
}
