// The library: everything the CLI does is available from here.
export * from './envs/index.js';
export { Random } from './utils/random.js';
export { UserError } from './utils/errors.js';
