import { createPgTestDatabase, describeWithPostgres } from '../../storage/test-databases.js';
import { describeOutboxStoreContract } from './outbox.store.contract.js';

describeWithPostgres('outbox store on PostgreSQL', () => {
  describeOutboxStoreContract(createPgTestDatabase);
});
