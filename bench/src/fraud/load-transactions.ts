/**
 * Reads the Fraud Detection Handbook's simulated transactions (`transactions_*.csv` in one
 * folder, concatenated in name order) with the engine's CSV parser into typed columns.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../../../packages/engine/src/data/csv.js';
import { parseDateTime } from '../../../packages/engine/src/data/column-types.js';
import { getColumn, numericColumn, type DataTable } from '../../../packages/engine/src/data/data-table.js';

/** Transactions as typed columns (rows in file order). */
export interface Transactions {
  readonly rows: number;
  readonly id: Float64Array;
  /** TX_DATETIME as epoch ms (the simulator's clock, read as UTC). */
  readonly at: Float64Array;
  /** TX_TIME_DAYS: whole days since the start of the simulation. */
  readonly day: Int32Array;
  readonly customer: Int32Array;
  readonly terminal: Int32Array;
  readonly amount: Float64Array;
  readonly fraud: Uint8Array;
}

/** The files a folder holds, in order. */
export function transactionFiles(dir: string): string[] {
  const files = readdirSync(dir)
    .filter((f) => /^transactions_.*\.csv$/.test(f))
    .sort();
  if (files.length === 0) throw new Error(`no transactions_*.csv in ${dir}`);
  return files.map((f) => join(dir, f));
}

function intColumn(table: DataTable, name: string, file: string): Int32Array {
  const x = numericColumn(table, name);
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isInteger(v)) throw new Error(`${file}: ${name} in data row ${i + 1} is not an integer`);
    out[i] = v;
  }
  return out;
}

/**
 * Loads and concatenates transaction files; throws on a bad row or cell.
 * @example const tx = loadTransactions(transactionFiles('../shared/datasets/fraud-handbook-simulated'));
 */
export function loadTransactions(files: readonly string[]): Transactions {
  const parts: Transactions[] = [];
  for (const file of files) {
    const { table, errors, errorCount } = parseCsv(readFileSync(file));
    if (errorCount > 0)
      throw new Error(
        `${file}: ${errorCount} bad rows, first: line ${errors[0]!.line}: ${errors[0]!.message}`,
      );
    const dt = getColumn(table, 'TX_DATETIME');
    const at = new Float64Array(table.rows);
    for (let i = 0; i < table.rows; i++) {
      const t = parseDateTime(dt[i] ?? null);
      if (Number.isNaN(t)) throw new Error(`${file}: TX_DATETIME in data row ${i + 1} is not a date-time`);
      at[i] = t;
    }
    const amount = numericColumn(table, 'TX_AMOUNT');
    for (let i = 0; i < amount.length; i++) {
      if (Number.isNaN(amount[i]!))
        throw new Error(`${file}: TX_AMOUNT in data row ${i + 1} is not a number`);
    }
    const fraud = intColumn(table, 'TX_FRAUD', file);
    parts.push({
      rows: table.rows,
      id: numericColumn(table, 'TRANSACTION_ID'),
      at,
      day: intColumn(table, 'TX_TIME_DAYS', file),
      customer: intColumn(table, 'CUSTOMER_ID', file),
      terminal: intColumn(table, 'TERMINAL_ID', file),
      amount,
      fraud: Uint8Array.from(fraud),
    });
  }
  return concat(parts);
}

function concat(parts: readonly Transactions[]): Transactions {
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const out = {
    rows,
    id: new Float64Array(rows),
    at: new Float64Array(rows),
    day: new Int32Array(rows),
    customer: new Int32Array(rows),
    terminal: new Int32Array(rows),
    amount: new Float64Array(rows),
    fraud: new Uint8Array(rows),
  };
  let at = 0;
  for (const p of parts) {
    out.id.set(p.id, at);
    out.at.set(p.at, at);
    out.day.set(p.day, at);
    out.customer.set(p.customer, at);
    out.terminal.set(p.terminal, at);
    out.amount.set(p.amount, at);
    out.fraud.set(p.fraud, at);
    at += p.rows;
  }
  return out;
}
