// Config layer: generic config merging and validation, the common keys, --config/--stop values,
// stop criteria, experiment files. Each algorithm's own keys live in its folder.
export { resolveConfig, deepMerge, type ConfigLayer, type ConfigSpec } from './resolve.js';
export { COMMON_DEFAULTS, COMMON_DOCS, type CommonConfig, type ModelConfig, type Schedule, type Activation } from './common.js';
export { parseJSONOrFile, readConfigLayer, readDataFile, DATA_FILE_EXTENSIONS } from './parse.js';
export { parseStopCriteria, parseStopFlag, checkStopCriteria, unreportedStopKey, closestKey, stopReached, resultValue } from './stop.js';
export { loadExperimentFile, checkExperimentKeys, type Experiment } from './experiment.js';
