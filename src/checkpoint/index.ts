// Checkpoints: save / load / resolve (see DESIGN.md, "Checkpoints").
export {
  CHECKPOINT_FORMAT_VERSION,
  type ArraysEntry,
  type CheckpointContent,
  type CheckpointManifest,
} from './format.js';
export { saveCheckpoint } from './save.js';
export { loadCheckpoint, MAX_JSON_BYTES, type LoadedCheckpoint } from './load.js';
export {
  DEFAULT_CHECKPOINT_ROOT,
  listCheckpoints,
  pruneCheckpoints,
  resolveCheckpointPath,
  type CheckpointEntry,
} from './resolve.js';
export { layersModelLoadHandler, dirWeightReader, saveLayersModel } from './layers_io.js';
