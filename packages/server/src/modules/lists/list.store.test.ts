import { describe } from 'vitest';
import { createSqliteTestDatabase } from '../../storage/test-databases.js';
import { describeListStoreContract } from './list.store.contract.js';

describe('list store on SQLite', () => {
  describeListStoreContract(createSqliteTestDatabase);
});
