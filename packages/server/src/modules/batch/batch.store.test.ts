import { describe } from 'vitest';
import { createSqliteTestDatabase } from '../../storage/test-databases.js';
import { describeBatchStoreContract } from './batch.store.contract.js';

describe('batch store on SQLite', () => {
  describeBatchStoreContract(createSqliteTestDatabase);
});
