import { createPgTestDatabase, describeWithPostgres } from '../../storage/test-databases.js';
import { describeListStoreContract } from './list.store.contract.js';

describeWithPostgres('list store on PostgreSQL', () => {
  describeListStoreContract(createPgTestDatabase);
});
