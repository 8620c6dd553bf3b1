import { createPgTestDatabase, describeWithPostgres } from '../../storage/test-databases.js';
import { describeBacktestContract } from './backtest.contract.js';

describeWithPostgres('backtests on PostgreSQL', () => {
  describeBacktestContract(createPgTestDatabase);
});
