// Behaviour cloning (RLlib's BC on offline data): trains a policy network to choose the actions
// recorded in the JSON lines that `rl rollout --out` writes, one step per line:
//   {"episode", "t", "observation": [...], "action": 0 | [...], "reward", "terminated", "truncated"}
//   rl rollout checkpoint-20 --episodes 50 --out expert.jsonl
//   rl sgd examples/sgd/behaviour-cloning.js --num-workers 2 --epochs 10 --config '{"data": "expert.jsonl"}'
// Discrete actions train a softmax over the actions (sparse categorical cross-entropy, accuracy);
// continuous actions a linear output (mean squared error). The last validation_fraction of the
// episodes validates.
import { readFileSync } from 'node:fs';
import path from 'node:path';

function readSteps(config) {
  if (typeof config.data !== 'string') throw new Error('set "data" in --config to the JSON-lines file rl rollout --out wrote');
  const file = path.resolve(config.data);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const step = JSON.parse(line);
      if (!Array.isArray(step.observation) || step.action === undefined) throw new Error(`${config.data} line ${i + 1} has no observation and action`);
      return step;
    });
}

/** Discrete actions: how many (the largest recorded + 1, or config.num_actions); continuous: 0. */
function describeSteps(steps, config) {
  const discrete = typeof steps[0].action === 'number';
  const numActions = discrete ? (config.num_actions ?? Math.max(...steps.map((s) => s.action)) + 1) : 0;
  return { discrete, numActions, observationSize: steps[0].observation.length, actionSize: discrete ? 1 : steps[0].action.length };
}

// Every creator reads the file; it is small next to training, and the module stays stateless.
const cache = new Map();
function stepsOf(config) {
  if (!cache.has(config.data)) cache.set(config.data, readSteps(config));
  return cache.get(config.data);
}

export function model(config, { tf }) {
  const steps = stepsOf(config);
  const { discrete, numActions, observationSize, actionSize } = describeSteps(steps, config);
  const hidden = config.hiddens ?? [64, 64];
  const seed = config.seed ?? 0;
  return tf.sequential({
    layers: [
      ...hidden.map((units, i) => tf.layers.dense({ units, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }), ...(i === 0 ? { inputShape: [observationSize] } : {}) })),
      tf.layers.dense({ units: discrete ? numActions : actionSize, activation: discrete ? 'softmax' : 'linear', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + hidden.length }) }),
    ],
  });
}

export function data(config, { tf }) {
  const steps = stepsOf(config);
  const { discrete } = describeSteps(steps, config);
  const episodes = [...new Set(steps.map((s) => s.episode))];
  const validationEpisodes = new Set(episodes.slice(Math.max(1, Math.round(episodes.length * (1 - (config.validation_fraction ?? 0.1))))));
  const set = (which) => {
    const rows = steps.filter((s) => validationEpisodes.has(s.episode) === which);
    return {
      x: tf.tensor2d(rows.map((s) => s.observation)),
      y: discrete ? tf.tensor1d(rows.map((s) => s.action), 'float32') : tf.tensor2d(rows.map((s) => s.action)),
    };
  };
  return { train: set(false), ...(validationEpisodes.size > 0 ? { validation: set(true) } : {}) };
}

// One loss for both kinds of action space, told apart by the targets: integer labels (a vector)
// for discrete actions, rows of action values for continuous ones.
export function loss(yTrue, yPred) {
  return yTrue.rank === 1 ? negativeLogLikelihood(yTrue, yPred) : yPred.sub(yTrue).square().mean(-1);
}

function negativeLogLikelihood(labels, probabilities) {
  const picked = probabilities.mul(labels.toInt().oneHot(probabilities.shape[1]).toFloat()).sum(-1);
  return picked.clipByValue(1e-7, 1).log().neg();
}

/** The share of steps whose recorded action is the most probable one (continuous actions: mean absolute error). */
export function action_match(yTrue, yPred) {
  return yTrue.rank === 1 ? yPred.argMax(-1).toFloat().equal(yTrue).toFloat() : yPred.sub(yTrue).abs().mean(-1);
}

export const metrics = [action_match];

export function optimizer(config, { tf }) {
  return tf.train.adam(config.lr ?? 0.001);
}
