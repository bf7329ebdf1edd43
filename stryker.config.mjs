// Mutation testing (Stryker 9; 10.x needs Node 22) of the math and of the machinery that decides
// results. The tests run compiled from dist/ as ESM, so Stryker mutates src/**/*.ts in its
// sandbox, compiles the sandbox with tsc (buildCommand) and runs jest over dist/test under
// --experimental-vm-modules; reports name the TypeScript lines. dist/ is copied into the sandbox
// (and rebuilt there) so that jest finds the compiled tests and incremental mode can see which
// tests changed. `npm run mutate` builds, then runs it incrementally;
// `STRYKER_TEST_FILES='dist/test/metrics/**/*.test.js' npm run mutate -- --mutate 'src/metrics/**/*.ts'`
// runs one scope against its own tests.

// One scope against its own tests: STRYKER_TEST_FILES='dist/test/metrics/**/*.test.js' (comma-separated
// globs of compiled tests) becomes jest's testMatch, so that every run, mutant runs included, loads
// only those files. Not Stryker's --testFiles: its 9.6 jest runner hands them to the dry run only
// (each mutant run then loaded all of dist/test and timed out) and static mutants (module-level
// constants) run no test at all under it and count as survivors.
const testMatch = process.env.STRYKER_TEST_FILES?.split(',').map((glob) => `<rootDir>/${glob}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning'],
  // findRelatedTests maps src/*.ts to tests through jest's module graph, which only sees dist/.
  jest: { projectType: 'custom', enableFindRelatedTests: false, ...(testMatch ? { config: { testMatch } } : {}) },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  // npm run build, not tsc alone: when src/nn's WebAssembly kernels get a build step, the sandbox follows.
  buildCommand: 'npm run build',
  mutate: [
    'src/algorithms/**/*.ts',
    'src/execution/**/*.ts',
    'src/policy/**/*.ts',
    'src/nn/**/*.ts',
    // AssemblyScript compiled by asc, not tsc: Stryker's TypeScript mutants would not compile
    // there. The kernel's gradients are checked against tfjs in test/nn/gradients.test.ts.
    '!src/nn/kernel/**',
    'src/envs/**/*.ts',
    'src/metrics/**/*.ts',
    'src/tune/schedulers.ts',
    'src/tune/search_space.ts',
  ],
  // Stryker marks instrumented files @ts-nocheck; the AssemblyScript kernel is not TypeScript it can parse.
  disableTypeChecks: 'src/**/!(kernel)/*.ts',
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
