export { compileRules, type CompiledRules } from './compile-rules.js';
export { EXAMPLE_RULES, ML_SPEC_RULES } from './example-rules.js';
export {
  FEATURE_FUNCTIONS,
  MAX_FEATURE_WINDOW_MS,
  parseDuration,
  parseFeatureCall,
  type FeatureCall,
  type FeatureCallSpec,
  type FeatureFunction,
} from './feature-call.js';
export { formatRuleValue } from './reason-template.js';
export {
  RULE_VARIABLES,
  RULE_VARIABLE_TYPES,
  type RuleVariableInfo,
  type RuleVariableType,
} from './rule-variables.js';
export {
  ACTION_HINT_OUTCOMES,
  RULE_LIMITS,
  RuleDefSchema,
  ruleOutcome,
  type RuleDef,
} from './rule.schema.js';
export { REGEX_LIMITS, checkRegex } from './safe-regex.js';
