import { describeStoreContract } from './store-contract.js';
import { createPgTestDatabase, describeWithPostgres } from './test-databases.js';

describeWithPostgres('stores on PostgreSQL', () => {
  describeStoreContract(createPgTestDatabase);
});
