import type { SimulatedEvent } from './simulated-event.js';

/**
 * CSV columns of simulated events, as `vigil score` and the batch API read them: event fields,
 * `attrs.<key>` columns (`:string` keeps a value textual) and the label.
 * @example SIMULATED_CSV_COLUMNS[0]; // 'id'
 */
export const SIMULATED_CSV_COLUMNS = [
  'id',
  'type',
  'at',
  'user',
  'tier',
  'amount',
  'currency',
  'ip',
  'device',
  'user_agent',
  'lat',
  'lon',
  'country',
  'wallet',
  'counterparty',
  'merchant',
  'email',
  'referrer',
  'content_hash',
  'session',
  'attrs.status:string',
  'attrs.method',
  'attrs.card:string',
  'attrs.game:string',
  'attrs.round',
  'attrs.action',
  'attrs.bet',
  'attrs.payout',
  'attrs.won',
  'attrs.kind',
  'attrs.mime',
  'attrs.size',
  'attrs.provider',
  'attrs.screen',
  'label',
] as const;

/** RFC 4180 quoting: only cells with a comma, quote or line break are quoted. */
function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return csvCell(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return csvCell(JSON.stringify(v));
}

/**
 * One simulated event as a CSV row of {@link SIMULATED_CSV_COLUMNS} (label 1 = malicious).
 * @example simulatedCsvRow(simulate({ seed: 1 }, 1)[0]!).split(',').length; // SIMULATED_CSV_COLUMNS.length
 */
export function simulatedCsvRow({ event: e, label }: SimulatedEvent): string {
  const a = e.attrs ?? {};
  return [
    e.id,
    e.type,
    e.at,
    e.user,
    e.tier,
    e.amount,
    e.currency,
    e.ip,
    e.device,
    e.userAgent,
    e.geo?.lat,
    e.geo?.lon,
    e.geo?.country,
    e.wallet,
    e.counterparty,
    e.merchant,
    e.email,
    e.referrer,
    e.contentHash,
    e.session,
    a['status'],
    a['method'],
    a['card'],
    a['game'],
    a['round'],
    a['action'],
    a['bet'],
    a['payout'],
    a['won'],
    a['kind'],
    a['mime'],
    a['size'],
    a['provider'],
    a['screen'],
    label.malicious ? 1 : 0,
  ]
    .map(cell)
    .join(',');
}

/**
 * A CSV document of simulated events with a header row.
 * @example simulatedCsv(simulate({ seed: 1 }, 10)).split('\n')[0]; // 'id,type,at,...'
 */
export function simulatedCsv(events: readonly SimulatedEvent[]): string {
  return `${SIMULATED_CSV_COLUMNS.join(',')}\n${events.map(simulatedCsvRow).join('\n')}\n`;
}
