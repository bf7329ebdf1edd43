// The SAC learner tests' fixture: small Box and Discrete models with perturbed weights, a replayed
// batch with n-step discounts and terminated rows, the reparameterisation noise, and the tfjs
// oracle's view of the same learner (sac_oracle.ts).
import { Box, Discrete, Random } from '../../src/index.js';
import type { Space } from '../../src/envs/spaces.js';
import { SACLearner, type SACBatch, type SACHyperparams, type SACNoise } from '../../src/algorithms/sac/learner.js';
import { resolveTargetEntropy } from '../../src/algorithms/sac/defaults.js';
import { sacModelLayout, TARGET_OF } from '../../src/algorithms/sac/model.js';
import { initialWeights, networkRange, type ModelLayout } from '../../src/nn/layout.js';
import { sacOracle, type OracleNet, type OracleResult } from './sac_oracle.js';

export const OBS = 3;
export const ROWS = 20;
const GAMMA = 0.95;

export interface Case {
  name: string;
  space: Space;
  twinQ: boolean;
  activation: 'relu' | 'tanh';
  /** Scale of the policy's output weights: large enough that some log-stds leave [-20, 2] and tanh saturates. */
  outputScale: number;
}

export const CASES: Case[] = [
  { name: 'Box(2) in [-2, 2] x [0, 1], twin Q, relu', space: new Box([-2, 0], [2, 1]), twinQ: true, activation: 'relu', outputScale: 1 },
  { name: 'Box(1), twin Q, tanh, log-stds past the clip', space: new Box(-2, 2, [1]), twinQ: true, activation: 'tanh', outputScale: 6 },
  { name: 'Box(3), single Q, relu', space: new Box(-1, 1, [3]), twinQ: false, activation: 'relu', outputScale: 1 },
  { name: 'Discrete(3), twin Q, relu', space: new Discrete(3), twinQ: true, activation: 'relu', outputScale: 1 },
  { name: 'Discrete(2), single Q, tanh', space: new Discrete(2), twinQ: false, activation: 'tanh', outputScale: 1 },
];

export function hyperparams(space: Space): SACHyperparams {
  return { targetEntropy: resolveTargetEntropy('auto', space), actorLr: 3e-4, criticLr: 3e-4, entropyLr: 3e-4, gradClip: null };
}

/** Moves a network's weights off their initial values (and scales its output layer). */
function perturb(layout: ModelLayout, weights: Float32Array, network: string, rng: Random, scale: number, outputScale = 1): void {
  const [start, end] = networkRange(layout, network);
  const path = layout.networks[network].path;
  const outputStart = layout.layers[path[path.length - 1]].kernelOffset;
  for (let i = start; i < end; i++) {
    weights[i] += scale * rng.normal();
    if (i >= outputStart) weights[i] *= outputScale;
  }
}

export const layersOf = (layout: ModelLayout, network: string) => layout.networks[network].path.map((index) => layout.layers[index]);

export function setUp(c: Case, seed: number, hp: SACHyperparams = hyperparams(c.space)) {
  const rng = new Random(seed);
  const layout = sacModelLayout(OBS, c.space, { policy_model: { fcnet_hiddens: [19, 6], fcnet_activation: c.activation }, Q_model: { fcnet_hiddens: [17, 5], fcnet_activation: c.activation }, twin_q: c.twinQ });
  const weights = initialWeights(layout, rng);
  perturb(layout, weights, 'policy', rng, 0.3, c.outputScale);
  for (const network of Object.keys(layout.networks)) if (network !== 'policy') perturb(layout, weights, network, rng, 0.3);
  const learner = new SACLearner(layout, c.space, hp, weights, 0.7, 32);
  learner.logAlpha = -0.4;
  const box = c.space instanceof Box ? c.space : null;
  const A = box ? box.size : 1;
  const batch: SACBatch = {
    count: ROWS,
    obs: Float32Array.from({ length: ROWS * OBS }, () => rng.normal()),
    nextObs: Float32Array.from({ length: ROWS * OBS }, () => rng.normal()),
    actions: new Float32Array(ROWS * A),
    rewards: Float32Array.from({ length: ROWS }, () => rng.normal()),
    terminated: Float32Array.from({ length: ROWS }, (_, i) => (i % 4 === 0 ? 1 : 0)),
    // n-step rows: gamma^2 (and gamma^1 where an episode ended after one step)
    discounts: Float32Array.from({ length: ROWS }, (_, i) => (i % 3 === 0 ? GAMMA : GAMMA ** 2)),
  };
  for (let i = 0; i < ROWS; i++) {
    if (box) for (let k = 0; k < A; k++) batch.actions[i * A + k] = rng.uniform(box.low[k], box.high[k]);
    else batch.actions[i] = rng.integer((c.space as Discrete).n);
  }
  const noise = learner.drawNoise(ROWS, rng);
  return { learner, layout, batch, noise, box };
}

/** The tfjs oracle's losses, gradients and intermediate values for the learner's current weights. */
export function oracleFor(c: Case, learner: SACLearner, layout: ModelLayout, batch: SACBatch, noise: SACNoise, box: Box | null): OracleResult {
  const net = (network: string): OracleNet => ({ layers: layersOf(layout, network), weights: learner.kernel.params.slice() });
  return sacOracle({
    policy: net('policy'),
    q: learner.qNames.map(net),
    targetQ: learner.qNames.map((name) => net(TARGET_OF[name])),
    logAlpha: learner.logAlpha,
    obs: batch.obs,
    nextObs: batch.nextObs,
    actions: batch.actions,
    rewards: batch.rewards,
    terminated: batch.terminated,
    n: ROWS,
    observationSize: OBS,
    box: box ? { low: Array.from(box.low), high: Array.from(box.high), epsT: noise.t, epsTp1: noise.tp1 } : null,
    numActions: c.space instanceof Discrete ? c.space.n : 0,
    discounts: batch.discounts,
    targetEntropy: learner.hp.targetEntropy,
  });
}
