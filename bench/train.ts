// The book's CartPole run (configs/ppo-cartpole.json, 20 iterations) over several seeds:
// the median reward curve next to the book's Table 3-1, wall time, sampled env steps per
// second and SGD samples per second. `npm run bench -- train`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { resolvePPOConfig } from '../src/algorithms/ppo/defaults.js';
import { PPOTrainer } from '../src/algorithms/ppo/trainer.js';
import { renderTable } from '../src/report/table.js';
import { median } from './stats.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SEEDS = [1, 2, 3, 4, 5];
/** Set in the child that repeats the run pinned to one core (taskset -c 0). */
const PINNED = process.env.RL_BENCH_PINNED === '1';
const ITERATIONS = 20;

export async function benchTrain(): Promise<void> {
  const file = path.join(root, 'configs', 'ppo-cartpole.json');
  const book = JSON.parse(readFileSync(path.join(root, 'test', 'fixtures', 'book', 'table-3-1.json'), 'utf8')) as { rows: number[][] };
  const curves: number[][] = [];
  const walls: number[] = [];
  const sampleRates: number[] = [];
  const sgdRates: number[] = [];
  for (const seed of SEEDS) {
    const config = resolvePPOConfig([{ source: file, config: JSON.parse(readFileSync(file, 'utf8')) }, { source: 'bench', config: { seed } }]);
    const start = performance.now();
    const trainer = await PPOTrainer.create(config);
    const curve: number[] = [];
    let sampleTime = 0;
    let learnTime = 0;
    let steps = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const r = await trainer.train();
      curve.push(r.episode_reward_mean);
      sampleTime += r.info.sample_time_s;
      learnTime += r.info.learn_time_s;
      steps = r.timesteps_total;
    }
    await trainer.stop();
    walls.push((performance.now() - start) / 1000);
    sampleRates.push(steps / sampleTime);
    sgdRates.push((steps * config.num_sgd_iter) / learnTime);
    curves.push(curve);
    process.stderr.write(`seed ${seed}: iteration ${ITERATIONS} mean reward ${curve[ITERATIONS - 1].toFixed(2)}, ${walls[walls.length - 1].toFixed(1)} s\n`);
  }
  const rows = Array.from({ length: ITERATIONS }, (_, i) => [
    String(i + 1),
    median(curves.map((c) => c[i])).toFixed(2),
    Math.min(...curves.map((c) => c[i])).toFixed(2),
    Math.max(...curves.map((c) => c[i])).toFixed(2),
    book.rows[i][2].toFixed(2),
  ]);
  if (PINNED) {
    process.stdout.write(`pinned to one core (taskset -c 0): wall time for ${ITERATIONS} iterations: median ${median(walls).toFixed(2)} s\n`);
    return;
  }
  process.stdout.write(`PPO CartPole-v1, configs/ppo-cartpole.json, ${ITERATIONS} iterations, seeds ${SEEDS.join(',')}\n`);
  process.stdout.write(`${renderTable(['iter', 'median mean reward', 'lowest', 'highest', 'book (RLlib)'], rows, ['right', 'right', 'right', 'right', 'right'])}\n`);
  process.stdout.write(
    `wall time for ${ITERATIONS} iterations: median ${median(walls).toFixed(2)} s; sampling ${Math.round(median(sampleRates)).toLocaleString('en-US')} env steps/s; ` +
      `SGD ${Math.round(median(sgdRates)).toLocaleString('en-US')} samples/s\n`,
  );
  process.stdout.write(`peak resident memory of this process (all ${SEEDS.length} runs, worker threads included): ${Math.round(process.resourceUsage().maxRSS / 1024)} MB\n`);
  // The same runs again on one core, in a child process so that its workers are pinned too.
  const pinned = spawnSync('taskset', ['-c', '0', process.execPath, process.argv[1], 'train'], { stdio: ['ignore', 'inherit', 'ignore'], env: { ...process.env, RL_BENCH_PINNED: '1' } });
  if (pinned.error) process.stdout.write('pinned to one core: taskset is not available here\n');
}
