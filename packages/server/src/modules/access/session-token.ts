import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a wallet session token asserts. */
export interface SessionClaims {
  /** The app the session belongs to. */
  readonly app: string;
  /** The wallet that proved it holds its key (checksummed). */
  readonly wallet: string;
  /** Issued at, epoch ms. */
  readonly iat: number;
  /** Expires at, epoch ms. */
  readonly exp: number;
  /** Token id. */
  readonly jti: string;
}

const PREFIX = 'vgs1';

function isClaims(x: unknown): x is SessionClaims {
  if (typeof x !== 'object' || x === null) return false;
  const r: Partial<Record<keyof SessionClaims, unknown>> = x;
  return (
    typeof r.app === 'string' &&
    typeof r.wallet === 'string' &&
    typeof r.iat === 'number' &&
    typeof r.exp === 'number' &&
    typeof r.jti === 'string'
  );
}

/** Signs and verifies short-lived session tokens with HMAC-SHA256. */
export interface SessionTokens {
  /** A token for the claims: `vgs1.<base64url claims>.<base64url hmac>`. */
  issue(claims: Omit<SessionClaims, 'jti'>): { readonly token: string; readonly claims: SessionClaims };
  /** The claims of a token signed with this key and not expired at `now`; undefined otherwise. */
  verify(token: string, now: number): SessionClaims | undefined;
}

/**
 * Creates the signer. The secret must be at least 32 bytes; every process that verifies tokens needs
 * the same one (a random secret means tokens die with the process).
 * @example const tokens = createSessionTokens(randomBytes(32)); const { token } = tokens.issue({ app, wallet, iat: now, exp: now + 900_000 });
 */
export function createSessionTokens(secret: Uint8Array): SessionTokens {
  if (secret.length < 32) throw new Error('the session secret must be at least 32 bytes');
  const key = Buffer.from(secret);
  const mac = (data: string): Buffer => createHmac('sha256', key).update(data).digest();
  return {
    issue(c) {
      const claims: SessionClaims = { ...c, jti: randomBytes(12).toString('base64url') };
      const body = `${PREFIX}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      return { token: `${body}.${mac(body).toString('base64url')}`, claims };
    },
    verify(token, now) {
      const parts = token.split('.');
      if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
      const body = `${parts[0]}.${parts[1] ?? ''}`;
      const given = Buffer.from(parts[2] ?? '', 'base64url');
      const expected = mac(body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      let claims: unknown;
      try {
        claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
      } catch {
        return undefined;
      }
      if (!isClaims(claims) || claims.exp <= now) return undefined;
      return claims;
    },
  };
}
