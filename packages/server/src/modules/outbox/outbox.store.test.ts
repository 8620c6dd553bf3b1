import { describe } from 'vitest';
import { createSqliteTestDatabase } from '../../storage/test-databases.js';
import { describeOutboxStoreContract } from './outbox.store.contract.js';

describe('outbox store on SQLite', () => {
  describeOutboxStoreContract(createSqliteTestDatabase);
});
