export { SGDTrainer, readSGDCheckpoint, DEFAULT_BATCH_SIZE, type SGDTrainerOptions, type TrainStats, type ValidationStats } from './trainer.js';
export { loadTrainingModule, moduleExportProblem, type CreatorContext, type TrainingCreators, type SGDConfig, type DataSet } from './module.js';
export { AllReduce, allocateAllReduce, PeerAborted } from './allreduce.js';
