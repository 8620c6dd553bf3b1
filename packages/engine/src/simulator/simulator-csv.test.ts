import { describe, expect, it } from 'vitest';
import { SIMULATED_CSV_COLUMNS, simulatedCsv, simulatedCsvRow } from './simulator-csv.js';
import { simulate } from './simulator.js';

describe('simulated events as CSV', () => {
  it('writes one cell per column, the label last, and quotes cells that need it', () => {
    const events = simulate({ seed: 4, users: 200, attackRate: 0.2 }, 400);
    const csv = simulatedCsv(events);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe(SIMULATED_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(events.length + 1);
    const first = events[0]!;
    const row = simulatedCsvRow(first);
    expect(row.startsWith(`${first.event.id},${first.event.type},${first.event.at},`)).toBe(true);
    expect(row.endsWith(first.label.malicious ? ',1' : ',0')).toBe(true);
    expect(events.some((e) => e.label.malicious && simulatedCsvRow(e).endsWith(',1'))).toBe(true);
    const ua = events.find((e) => e.event.userAgent?.includes(','));
    if (ua) expect(simulatedCsvRow(ua)).toContain(`"${ua.event.userAgent!.replace(/"/g, '""')}"`);
  });
});
