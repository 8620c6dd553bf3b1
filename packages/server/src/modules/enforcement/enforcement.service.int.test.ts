import { createPgTestDatabase, describeWithPostgres } from '../../storage/test-databases.js';
import { describeEnforcementContract } from './enforcement.contract.js';

describeWithPostgres('enforcement on PostgreSQL', () => {
  describeEnforcementContract(createPgTestDatabase);
});
