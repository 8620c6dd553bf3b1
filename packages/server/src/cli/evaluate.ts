export { EVALUATE_HELP, runEvaluateCommand } from './train.js';
