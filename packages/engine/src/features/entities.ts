import type { VigilEvent } from '../events/event.js';

/**
 * Entities the feature store keys state by. Each comes from one event field. Kinds that share a
 * namespace share state: a wallet address has the same history whether it appears as the sender
 * (`wallet`) or as the recipient (`counterparty`), and `pair`/`reverse_pair` let a detector read
 * the opposite direction of a transfer (round trips).
 */
export const ENTITY_KINDS = [
  'user',
  'device',
  'ip',
  'wallet',
  'counterparty',
  'pair',
  'reverse_pair',
  'email',
  'email_domain',
  'merchant',
  'terminal',
  'referrer',
  'content',
  'session',
  'app',
] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** Storage namespace of each entity kind. */
export const ENTITY_NAMESPACE = {
  user: 'u',
  device: 'd',
  ip: 'i',
  wallet: 'w',
  counterparty: 'w',
  pair: 'p',
  reverse_pair: 'p',
  email: 'e',
  email_domain: 'ed',
  merchant: 'm',
  terminal: 't',
  referrer: 'u',
  content: 'c',
  session: 's',
  app: 'a',
} as const satisfies Record<EntityKind, string>;

/**
 * The id of an entity of the given kind in this event, or undefined when the event lacks it.
 * @example entityId({ ...e, wallet: 'a', counterparty: 'b' }, 'reverse_pair'); // 'b>a'
 */
export function entityId(e: VigilEvent, kind: EntityKind): string | undefined {
  switch (kind) {
    case 'user':
      return e.user;
    case 'device':
      return e.device;
    case 'ip':
      return e.ip;
    case 'wallet':
      return e.wallet;
    case 'counterparty':
      return e.counterparty;
    case 'pair':
      return e.wallet !== undefined && e.counterparty !== undefined
        ? `${e.wallet}>${e.counterparty}`
        : undefined;
    case 'reverse_pair':
      return e.wallet !== undefined && e.counterparty !== undefined
        ? `${e.counterparty}>${e.wallet}`
        : undefined;
    case 'email':
      return e.email;
    case 'email_domain':
      return e.emailDomain;
    case 'merchant':
      return e.merchant;
    case 'terminal':
      return e.terminal;
    case 'referrer':
      return e.referrer;
    case 'content':
      return e.contentHash;
    case 'session':
      return e.session;
    case 'app':
      return e.app;
  }
}
