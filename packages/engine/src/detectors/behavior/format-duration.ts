import { DAY, HOUR, MINUTE, SECOND } from '../../features/feature-spec.js';

/**
 * A window length as analysts read it in reasons: whole days, hours, minutes or seconds.
 * @example formatDuration(86_400_000); // '24h'   formatDuration(7 * 86_400_000); // '7d'
 */
export function formatDuration(ms: number): string {
  if (ms >= 2 * DAY && ms % DAY === 0) return `${ms / DAY}d`;
  if (ms >= HOUR && ms % HOUR === 0) return `${ms / HOUR}h`;
  if (ms >= MINUTE && ms % MINUTE === 0) return `${ms / MINUTE}min`;
  if (ms % SECOND === 0) return `${ms / SECOND}s`;
  return `${ms}ms`;
}
