export { Box, Discrete, spaceFromJSON, type Space, type SpaceJSON } from './spaces.js';
export {
  ClassicControlEnv,
  checkAction,
  type Action,
  type Env,
  type EnvMetadata,
  type InPlaceEnv,
  type Info,
  type Observation,
  type ResetOptions,
  type StepResult,
} from './env.js';
export { TimeLimit } from './wrappers.js';
export { register, registeredEnvs, envSpec, make, makeUnwrapped, resolveEnv, type EnvSpec, type MakeOptions } from './registry.js';
export { CartPoleEnv } from './classic_control/cartpole.js';
export { VectorEnv, type VectorEnvOptions } from './vector_env.js';
export { MountainCarEnv } from './classic_control/mountain_car.js';
export { ContinuousMountainCarEnv } from './classic_control/continuous_mountain_car.js';
export { AcrobotEnv } from './classic_control/acrobot.js';
export { PendulumEnv } from './classic_control/pendulum.js';
