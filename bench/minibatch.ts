// Microseconds per PPO minibatch step (forward, loss, backward, Adam) of the learner on the
// WebAssembly kernel, in one thread and with its learner thread (here split by network: the value
// network's epochs on a second core, see src/algorithms/ppo/value_learner.ts), against the previous tfjs-wasm learner (bench/tfjs_learner.ts), for the book's
// CartPole networks and RLlib's default [256, 256]. `npm run bench -- minibatch`.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Discrete } from '../src/envs/spaces.js';
import { initialWeights } from '../src/policy/model.js';
import { ppoModelLayout } from '../src/algorithms/ppo/model.js';
import { ACTION_DIST_INPUTS, ACTION_LOGP, ADVANTAGES, VALUE_TARGETS, VF_PREDS } from '../src/algorithms/ppo/policy.js';
import { allocateBatch } from '../src/execution/sample_batch.js';
import { PPOLearner } from '../src/algorithms/ppo/learner.js';
import { Random } from '../src/utils/random.js';
import { initBackend } from '../src/utils/tensor_backend.js';
import { renderTable } from '../src/report/table.js';
import { TfjsLearner } from './tfjs_learner.js';
import { median } from './stats.js';

interface Learner {
  learnOnBatch(batch: ReturnType<typeof allocateBatch>, lr: number, entropyCoeff: number, rng: Random): unknown;
}

const CASES = [
  { name: 'book [40, 20] x 2, minibatch 250', hiddens: [40, 20], minibatch: 250 },
  { name: 'RLlib default [256, 256] x 2, minibatch 128', hiddens: [256, 256], minibatch: 128 },
];

/** Median over runs of one epoch over a 2000-row CartPole-shaped batch, per minibatch step. */
function microsPerStep(learner: Learner, batch: ReturnType<typeof allocateBatch>, steps: number, rng: Random): number {
  learner.learnOnBatch(batch, 5e-5, 0, rng); // warm up
  const times: number[] = [];
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    learner.learnOnBatch(batch, 5e-5, 0, rng);
    times.push(((performance.now() - start) * 1000) / steps);
  }
  return median(times);
}

export async function benchMinibatch(): Promise<void> {
  await initBackend('wasm');
  const rows: string[][] = [];
  for (const c of CASES) {
    const layout = ppoModelLayout(4, new Discrete(2), { fcnet_hiddens: c.hiddens, fcnet_activation: 'tanh', vf_share_layers: false });
    const rng = new Random(1);
    const n = 2000;
    const batch = allocateBatch(n, { obs: 4, actions: 1, [ACTION_LOGP]: 1, [ACTION_DIST_INPUTS]: 2, [ADVANTAGES]: 1, [VF_PREDS]: 1, [VALUE_TARGETS]: 1 });
    const col = batch.columns;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 4; k++) col.obs[i * 4 + k] = rng.normal();
      col.actions[i] = i % 2;
      col[ACTION_LOGP][i] = Math.log(0.5);
      col[ADVANTAGES][i] = rng.normal();
      col[VF_PREDS][i] = 0;
      col[VALUE_TARGETS][i] = 10 * rng.normal();
    }
    const hp = { clipParam: 0.3, vfClipParam: 10, vfLossCoeff: 1, klTarget: 0.01, gradClip: null, numSgdIter: 1, sgdMinibatchSize: c.minibatch, shuffleSequences: true, useCritic: true };
    const steps = Math.floor(n / c.minibatch);
    const weights = initialWeights(layout, rng);
    const oneThread = new PPOLearner(layout, 2, hp, weights, 0.2, 5e-5, { thread: false });
    const kernel = microsPerStep(oneThread, batch, steps, rng);
    const twoThreads = new PPOLearner(layout, 2, hp, weights, 0.2, 5e-5, { thread: true });
    while (!twoThreads.threadReady) await sleep(10);
    const kernel2 = microsPerStep(twoThreads, batch, steps, rng);
    twoThreads.dispose();
    const tfjsLearner = new TfjsLearner(layout, 2, hp, weights, 0.2, 5e-5);
    const tfjs = microsPerStep(tfjsLearner, batch, steps, rng);
    tfjsLearner.dispose();
    rows.push([c.name, kernel.toFixed(0), kernel2.toFixed(0), tfjs.toFixed(0), `${(tfjs / kernel).toFixed(1)}x`, `${(tfjs / kernel2).toFixed(1)}x`]);
  }
  process.stdout.write('PPO minibatch step (forward, loss, backward, Adam), median of 5 epochs\n');
  process.stdout.write(
    `${renderTable(
      ['networks', 'kernel us/step', 'kernel + learner thread', 'tfjs-wasm us/step', 'speed-up', 'with thread'],
      rows,
      ['left', 'right', 'right', 'right', 'right', 'right'],
    )}\n`,
  );
}
