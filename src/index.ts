// The library: everything the CLI does is available from here.
export * from './envs/index.js';
export { Random } from './utils/random.js';
export { UserError } from './utils/errors.js';
export { PPO_DEFAULTS, type PPOConfig, type ModelConfig } from './algorithms/ppo/defaults.js';
export { PPOTrainer, type TrainResult, type TrainerOptions } from './algorithms/ppo/trainer.js';
export { runTraining, type RunOptions, type RunOutcome } from './algorithms/ppo/run.js';
export { resolvePPOConfig, loadExperimentFile, stopReached, type ConfigLayer, type Experiment } from './config/index.js';
export { saveCheckpoint, loadCheckpoint, resolveCheckpointPath, listCheckpoints } from './checkpoint/index.js';
export { initBackend, type BackendChoice } from './utils/tensor_backend.js';
export { serve, Router, RequestError, type DeploymentSpec, type ServeOptions } from './serve/router.js';
export { buildServer } from './serve/http.js';
export { CheckpointPolicy } from './policy/checkpoint_policy.js';
export { replay, type ReplayOptions, type ReplaySummary } from './execution/replay.js';
export { runTune, type TuneOptions, type TuneOutcome } from './tune/runner.js';
export { loadTuneExperiment, type TuneExperiment } from './tune/experiment.js';
export { expandSearchSpace } from './tune/search_space.js';
export { SGDTrainer, type SGDTrainerOptions, type TrainStats, type ValidationStats, type TrainingCreators, type CreatorContext, type SGDConfig } from './sgd/index.js';
export { runSGD, type SGDRunOptions, type SGDRunOutcome, type SGDResult } from './sgd/run.js';
