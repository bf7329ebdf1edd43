// Mutation testing (Stryker 9; 10.x needs Node 22) of the math and of the machinery that decides
// results. The tests run compiled from dist/ as ESM, so Stryker mutates src/**/*.ts in its
// sandbox, compiles the sandbox with tsc (buildCommand) and runs jest over dist/test under
// --experimental-vm-modules; reports name the TypeScript lines. dist/ is copied into the sandbox
// (and rebuilt there) so that --testFiles can name compiled tests and incremental mode can see
// which tests changed. `npm run mutate` builds, then runs it incrementally;
// `npm run mutate -- --mutate 'src/metrics/**/*.ts' --testFiles 'dist/test/metrics/**/*.test.js'`
// runs one scope against its own tests.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning'],
  // findRelatedTests maps src/*.ts to tests through jest's module graph, which only sees dist/.
  jest: { projectType: 'custom', enableFindRelatedTests: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  // npm run build, not tsc alone: when src/nn's WebAssembly kernels get a build step, the sandbox follows.
  buildCommand: 'npm run build',
  mutate: [
    'src/algorithms/**/*.ts',
    'src/execution/**/*.ts',
    'src/policy/**/*.ts',
    'src/nn/**/*.ts',
    'src/envs/**/*.ts',
    'src/metrics/**/*.ts',
    'src/tune/schedulers.ts',
    'src/tune/search_space.ts',
  ],
  ignorePatterns: ['checkpoints', 'ray_results', 'reports'],
  coverageAnalysis: 'perTest',
  // 2 shared cores; training tests are slow under load, so timeouts are generous.
  concurrency: 1,
  timeoutMS: 20000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 15,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: null },
};
