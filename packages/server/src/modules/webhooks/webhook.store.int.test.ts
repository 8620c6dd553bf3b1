import { createPgTestDatabase, describeWithPostgres } from '../../storage/test-databases.js';
import { describeWebhookStoreContract } from './webhook.store.contract.js';

describeWithPostgres('webhook stores on PostgreSQL', () => {
  describeWebhookStoreContract(createPgTestDatabase);
});
