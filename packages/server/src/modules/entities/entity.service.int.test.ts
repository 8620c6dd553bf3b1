import { createPgTestDatabase, describeWithPostgres } from '../../storage/test-databases.js';
import { describeEntityServiceContract } from './entity.service.contract.js';

describeWithPostgres('entity profiles on PostgreSQL', () => {
  describeEntityServiceContract(createPgTestDatabase);
});
