import type { EnforcementEvents, ShieldEventType } from './enforcement-events.js';

/** One announcement a {@link createRecordingEvents} kept. */
export interface RecordedEvent {
  readonly app: string;
  readonly type: ShieldEventType;
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * An in-memory {@link EnforcementEvents} for tests: every emit, in order (also those of a
 * transaction that later rolled back; tests that need commit semantics use the outbox).
 * @example const events = createRecordingEvents(); expect(events.emitted.map((e) => e.type)).toEqual(['enforcement.created']);
 */
export function createRecordingEvents(): EnforcementEvents & { readonly emitted: RecordedEvent[] } {
  const emitted: RecordedEvent[] = [];
  return {
    emitted,
    async emit(_tx, app, type, data) {
      emitted.push({ app, type, data });
    },
  };
}
