import { randomBytes } from 'node:crypto';
import { getAddress, isAddress, recoverMessageAddress, type Hex } from 'viem';
import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { createAuditStore } from '../audit/audit.store.js';
import { createPasskeyChallengeStore } from './passkey-challenge.store.js';
import { createSessionTokens, type SessionClaims } from './session-token.js';

/** A challenge for a wallet to sign (EIP-191 `personal_sign`). */
export interface WalletChallenge {
  /** The exact message to sign. */
  readonly challenge: string;
  readonly nonce: string;
  readonly wallet: string;
  readonly expiresAt: number;
}

/** A session issued after a valid signature. */
export interface WalletSession {
  readonly token: string;
  readonly wallet: string;
  readonly expiresAt: number;
}

/** Wallet passkeys: challenge, signature check, short-lived session tokens. */
export interface PasskeyService {
  /**
   * A fresh challenge for the wallet, stored in the database (replacing any pending one). Throws
   * `validation_failed` (malformed wallet), `rate_limited` (the app has too many pending challenges).
   */
  challenge(appId: string, wallet: string): Promise<WalletChallenge>;
  /**
   * Checks the signature of the wallet's pending challenge (consumed by the attempt, right or
   * wrong, in one statement, so no two processes accept the same challenge) and issues a session
   * token; audit-logged. Throws `validation_failed` (malformed input), `bad_request` (no pending
   * challenge, or it expired), `forbidden` (the signature does not match).
   */
  verify(appId: string, wallet: string, signature: string, actor: string): Promise<WalletSession>;
  /** The claims of a session token of this app, or undefined (bad, expired, another app's). */
  session(appId: string, token: string): SessionClaims | undefined;
}

/** Options of {@link createPasskeyService}. */
export interface PasskeyOptions {
  /** How long a challenge can be signed (default 5 minutes). */
  readonly challengeTtlMs?: number;
  /** How long a session lasts (default 15 minutes). */
  readonly sessionTtlMs?: number;
  /**
   * Most unexpired challenges pending per app (default 100,000); a new wallet's challenge beyond it
   * answers `rate_limited`. A soft cap: processes issuing challenges at the same moment can each
   * pass it by one.
   */
  readonly maxPending?: number;
}

const SIGNATURE_RE = /^0x(?:[0-9a-fA-F]{128}|[0-9a-fA-F]{130})$/;

function checkedWallet(wallet: string): `0x${string}` {
  if (!isAddress(wallet, { strict: false })) {
    throw new DomainError('validation_failed', 'invalid wallet', {
      details: [{ path: '/wallet', message: 'must be a 0x-prefixed 20-byte hex address' }],
    });
  }
  return getAddress(wallet);
}

function isHexSignature(s: string): s is Hex {
  return SIGNATURE_RE.test(s);
}

/** Expired challenges of an app deleted along with each new challenge (bounded housekeeping). */
const CLEANUP_BATCH = 100;

/**
 * Creates the passkey service. Pending challenges live in the database (`passkey_challenges`), so
 * any process on it verifies a challenge another one issued, and restarts keep them; session
 * tokens verify in every process configured with the same secret (VIGIL_SESSION_SECRET).
 * @example
 * const passkeys = createPasskeyService({ db, clock, secret: randomBytes(32) });
 * const { challenge } = await passkeys.challenge(appId, wallet);
 * const { token } = await passkeys.verify(appId, wallet, await account.signMessage({ message: challenge }), 'key:01J...');
 */
export function createPasskeyService(
  deps: { readonly db: Db; readonly clock: Clock; readonly secret: Uint8Array },
  opts: PasskeyOptions = {},
): PasskeyService {
  const { clock } = deps;
  const challengeTtl = opts.challengeTtlMs ?? 5 * 60_000;
  const sessionTtl = opts.sessionTtlMs ?? 15 * 60_000;
  const maxPending = opts.maxPending ?? 100_000;
  const tokens = createSessionTokens(deps.secret);
  const audit = createAuditStore(deps.db);
  const store = createPasskeyChallengeStore(deps.db);

  return {
    async challenge(appId, wallet) {
      const address = checkedWallet(wallet);
      const now = clock.now();
      await store.deleteExpired(appId, now, CLEANUP_BATCH);
      if (
        (await store.countPending(appId, now, maxPending)) >= maxPending &&
        // a wallet renewing its own challenge does not add one
        !(await store.hasPending(appId, address, now))
      ) {
        throw new DomainError('rate_limited', 'too many pending wallet challenges', {
          retryAfterSeconds: 60,
        });
      }
      const nonce = randomBytes(16).toString('hex');
      const expiresAt = now + challengeTtl;
      const challenge = [
        'Sign in to Vigil',
        `App: ${appId}`,
        `Wallet: ${address}`,
        `Nonce: ${nonce}`,
        `Expires: ${new Date(expiresAt).toISOString()}`,
      ].join('\n');
      await store.put({ appId, wallet: address, nonce, challenge, createdAt: now, expiresAt });
      return { challenge, nonce, wallet: address, expiresAt };
    },

    async verify(appId, wallet, signature, actor) {
      const address = checkedWallet(wallet);
      if (!isHexSignature(signature)) {
        throw new DomainError('validation_failed', 'invalid signature', {
          details: [
            {
              path: '/signature',
              message: 'must be a 0x-prefixed 65-byte (or 64-byte compact) hex signature',
            },
          ],
        });
      }
      const now = clock.now();
      const c = await store.take(appId, address);
      if (c === undefined || c.expiresAt <= now) {
        throw new DomainError(
          'bad_request',
          'no pending challenge for this wallet (or it expired): request a new one',
          {
            details: [
              { path: '/wallet', message: 'POST /v1/access/challenge first, then sign within its expiry' },
            ],
          },
        );
      }
      let signer: string | undefined;
      try {
        signer = await recoverMessageAddress({ message: c.challenge, signature });
      } catch {
        signer = undefined;
      }
      const ok = signer !== undefined && signer.toLowerCase() === address.toLowerCase();
      await audit.append(
        { actor, action: 'access.verify', appId, target: address, details: { verified: ok, nonce: c.nonce } },
        now,
      );
      if (!ok) {
        throw new DomainError('forbidden', 'the signature was not made by this wallet for its challenge', {
          details: [{ path: '/signature', message: 'does not recover to the wallet address' }],
        });
      }
      const { token, claims } = tokens.issue({
        app: appId,
        wallet: address,
        iat: now,
        exp: now + sessionTtl,
      });
      return { token, wallet: address, expiresAt: claims.exp };
    },

    session(appId, token) {
      const claims = tokens.verify(token, clock.now());
      return claims !== undefined && claims.app === appId ? claims : undefined;
    },
  };
}
