import { describe } from 'vitest';
import { describeStoreContract } from './store-contract.js';
import { createSqliteTestDatabase } from './test-databases.js';

describe('stores on SQLite', () => {
  describeStoreContract(createSqliteTestDatabase);
});
