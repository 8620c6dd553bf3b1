import { describe } from 'vitest';
import { createSqliteTestDatabase } from '../../storage/test-databases.js';
import { describeWebhookStoreContract } from './webhook.store.contract.js';

describe('webhook stores on SQLite', () => {
  describeWebhookStoreContract(createSqliteTestDatabase);
});
