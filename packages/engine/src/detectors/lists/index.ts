export {
  LISTS_DEFAULTS,
  ListsOptionsSchema,
  createListDetector,
  flagScore,
  type ListDetectorWiring,
  type ListsOptions,
} from './lists.detector.js';
