import { createPgTestDatabase, describeWithPostgres } from '../../storage/test-databases.js';
import { describeBatchStoreContract } from './batch.store.contract.js';

describeWithPostgres('batch store on PostgreSQL', () => {
  describeBatchStoreContract(createPgTestDatabase);
});
