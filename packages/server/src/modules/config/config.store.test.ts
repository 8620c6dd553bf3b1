import { describe } from 'vitest';
import { createSqliteTestDatabase } from '../../storage/test-databases.js';
import { describeConfigStoreContract } from './config.store.contract.js';

describe('config store on SQLite', () => {
  describeConfigStoreContract(createSqliteTestDatabase);
});
