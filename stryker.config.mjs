// Mutation testing (Stryker 9; 10.x needs Node 22) of the math and of the machinery that decides
// results. The tests run compiled from dist/ as ESM, so Stryker mutates src/**/*.ts in its
// sandbox, compiles the sandbox with tsc (buildCommand) and runs jest over dist/test under
// --experimental-vm-modules; reports name the TypeScript lines. dist/ is copied into the sandbox
// (and rebuilt there) so that --testFiles can name compiled tests and incremental mode can see
// which tests changed. `npm run mutate` builds, then runs it incrementally;
// `npm run mutate -- --mutate 'src/metrics/**/*.ts' --testFiles 'dist/test/metrics/**/*.test.js'`
// runs one scope against its own tests.

// Stryker 9.6's jest runner hands --testFiles to the dry run only: each mutant run then loads every
// test file under dist/test (importing the code they train with, tens of seconds a mutant under
// load, so every mutant timed out). Giving jest the same files as its testMatch keeps mutant runs
// to the scope's tests.
function testFilesArgument(argv) {
  const i = argv.findIndex((a) => a === '--testFiles' || a === '-t' || a.startsWith('--testFiles='));
  if (i < 0) return null;
  const value = argv[i].startsWith('--testFiles=') ? argv[i].slice('--testFiles='.length) : argv[i + 1];
  return value ? value.split(',').map((glob) => `<rootDir>/${glob}`) : null;
}
const testMatch = testFilesArgument(process.argv);

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
