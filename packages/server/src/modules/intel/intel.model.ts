import { createHmac } from 'node:crypto';

/** Identifier kinds shared across apps. */
export const INTEL_KINDS = ['device', 'ip', 'wallet', 'email'] as const;
export type IntelKind = (typeof INTEL_KINDS)[number];

/** Why an identifier is shared: a case confirmed fraud, a block-list entry marked shared, or by hand. */
export const INTEL_SOURCES = ['confirmed_fraud', 'list', 'manual'] as const;
export type IntelSource = (typeof INTEL_SOURCES)[number];

/** @example isIntelKind('wallet'); // true */
export function isIntelKind(s: string): s is IntelKind {
  return (INTEL_KINDS as readonly string[]).includes(s);
}

/**
 * The shared form of an identifier: HMAC-SHA256 keyed by the server-wide pepper over the kind and
 * the canonical value, hex. Apps never see each other's raw identifiers, and a copy of the table
 * without the pepper cannot be reversed by hashing guesses.
 * @example hashIdentifier('pepper', 'device', 'd-123'); // '5f1c...'
 */
export function hashIdentifier(pepper: string, kind: IntelKind, value: string): string {
  return createHmac('sha256', pepper).update(kind).update('\u0000').update(value).digest('hex');
}

/** A shared identifier as its contributing app sees it (never the value: only the hash). */
export interface IntelEntry {
  readonly id: string;
  readonly kind: IntelKind;
  readonly hash: string;
  readonly source: IntelSource;
  readonly reason: string;
  readonly caseId: string | null;
  readonly createdAt: number;
  readonly expiresAt: number | null;
}

/** An app's participation: whether its findings are shared, and whether others' raise its risk. */
export interface IntelSettings {
  readonly contribute: boolean;
  readonly consume: boolean;
}

/** Default participation: on both ways. */
export const DEFAULT_INTEL_SETTINGS: IntelSettings = Object.freeze({ contribute: true, consume: true });
