// DQN's n-step postprocessing is the shared one (SAC uses it too): src/execution/n_step.ts.
export { adjustNStep } from '../../execution/n_step.js';
