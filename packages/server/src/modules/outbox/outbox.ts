import type { Clock } from '../../clock.js';
import type { Db } from '../../storage/database.js';
import { createOutboxStore, type NewOutboxMessage } from './outbox.store.js';

/** Enqueues side effects in the caller's transaction. */
export interface Outbox {
  /**
   * Inserts messages through `tx` (the transaction that makes the decision they follow from), so
   * they commit or roll back with it; returns their ids.
   */
  enqueue(tx: Db, rows: readonly NewOutboxMessage[]): Promise<readonly string[]>;
}

/**
 * The outbox's write side. `onEnqueued` runs after each enqueue (e.g. to wake a dispatcher; one
 * that polls still finds messages whose transaction committed later).
 * @example
 * const outbox = createOutbox({ clock, onEnqueued: () => dispatcher.wake() });
 * await db.transaction((tx) => outbox.enqueue(tx, [{ app, kind: 'webhook', payload }]));
 */
export function createOutbox(deps: { readonly clock: Clock; readonly onEnqueued?: () => void }): Outbox {
  return {
    async enqueue(tx, rows) {
      if (rows.length === 0) return [];
      const ids = await createOutboxStore(tx).enqueue(rows, deps.clock.now());
      deps.onEnqueued?.();
      return ids;
    },
  };
}
