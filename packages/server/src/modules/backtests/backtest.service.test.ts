import { describe } from 'vitest';
import { createSqliteTestDatabase } from '../../storage/test-databases.js';
import { describeBacktestContract } from './backtest.contract.js';

describe('backtests on SQLite', () => {
  describeBacktestContract(createSqliteTestDatabase);
});
