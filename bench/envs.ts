// Env steps per second for every registered id: one env through the Gymnasium step() API,
// and a VectorEnv of 8 through the in-place hot path. Single thread, median of 5 runs.
import { performance } from 'node:perf_hooks';
import { Box, Random, VectorEnv, make, registeredEnvs } from '../src/index.js';
import { renderTable } from '../src/report/table.js';
import { formatRate, median } from './stats.js';

const RUNS = 5;
const VECTOR_ENVS = 8;

/** A fixed pool of random actions, so that drawing them is not what gets measured. */
function actionPool(space: VectorEnv['action_space'], count: number, rng: Random): Float32Array {
  const size = space instanceof Box ? space.size : 1;
  const pool = new Float32Array(count * size);
  for (let i = 0; i < count; i++) {
    const a = space.sample(rng);
    if (typeof a === 'number') pool[i] = a;
    else pool.set(a, i * size);
  }
  return pool;
}

function singleEnvRate(id: string, steps: number): number {
  const env = make(id);
  const rng = new Random(0);
  const size = env.action_space instanceof Box ? env.action_space.size : 1;
  const pool = actionPool(env.action_space, 4096, rng);
  const actions: (number | Float32Array)[] = [];
  for (let i = 0; i < 4096; i++) actions.push(size === 1 && !(env.action_space instanceof Box) ? pool[i] : pool.subarray(i * size, (i + 1) * size));
  env.reset({ seed: 0 });
  const start = performance.now();
  for (let t = 0; t < steps; t++) {
    const [, , terminated, truncated] = env.step(actions[t & 4095]);
    if (terminated || truncated) env.reset();
  }
  return steps / ((performance.now() - start) / 1000);
}

function vectorRate(id: string, vectorSteps: number): number {
  const venv = new VectorEnv(id, VECTOR_ENVS);
  const rng = new Random(0);
  const size = venv.actionSize * VECTOR_ENVS;
  const blocks = 512;
  const pool = actionPool(venv.action_space, blocks * VECTOR_ENVS, rng);
  venv.reset(0);
  const start = performance.now();
  for (let t = 0; t < vectorSteps; t++) {
    const b = t & (blocks - 1);
    venv.step(pool.subarray(b * size, (b + 1) * size));
  }
  return (vectorSteps * VECTOR_ENVS) / ((performance.now() - start) / 1000);
}

export function benchEnvs(): void {
  const rows: string[][] = [];
  for (const spec of registeredEnvs()) {
    singleEnvRate(spec.id, 200_000); // warm up the JIT
    vectorRate(spec.id, 50_000);
    const single = median(Array.from({ length: RUNS }, () => singleEnvRate(spec.id, 1_000_000)));
    const vector = median(Array.from({ length: RUNS }, () => vectorRate(spec.id, 500_000)));
    rows.push([spec.id, formatRate(single), formatRate(vector)]);
  }
  process.stdout.write(`Env steps per second (single thread, median of ${RUNS} runs)\n`);
  process.stdout.write(`${renderTable(['env', 'step() API, 1 env', `VectorEnv, N=${VECTOR_ENVS}`], rows, ['left', 'right', 'right'])}\n`);
}
