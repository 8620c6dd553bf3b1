import { createPgTestDatabase, describeWithPostgres } from '../../storage/test-databases.js';
import { describeConfigStoreContract } from './config.store.contract.js';

describeWithPostgres('config store on PostgreSQL', () => {
  describeConfigStoreContract(createPgTestDatabase);
});
