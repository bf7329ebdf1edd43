// Config layer: PPO config merging and validation, --config/--stop values, stop criteria,
// experiment files.
export { resolvePPOConfig, deepMerge, ppoConfigSchema, type ConfigLayer } from './ppo.js';
export { parseJSONOrFile, readConfigLayer, readDataFile, DATA_FILE_EXTENSIONS } from './parse.js';
export { parseStopCriteria, parseStopFlag, checkStopCriteria, unreportedStopKey, closestKey, stopReached, resultValue } from './stop.js';
export { loadExperimentFile, checkExperimentKeys, type Experiment } from './experiment.js';
