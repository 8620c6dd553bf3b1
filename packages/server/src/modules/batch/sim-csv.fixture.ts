// Simulated events as CSV for batch, score and model tests: the engine's simulator writes them.
export {
  SIMULATED_CSV_COLUMNS as SIM_CSV_COLUMNS,
  simulatedCsv as simCsv,
  simulatedCsvRow as simCsvRow,
} from '@vigil/engine';
