import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { explore, makePBT, parseMutations, quantiles } from '../../src/tune/pbt.js';
import { replayPolicy, type ConfigChange } from '../../src/tune/pbt_history.js';
import type { TrialView } from '../../src/tune/schedulers.js';
import { Random } from '../../src/utils/random.js';
import { userErrorOf } from '../helpers.js';

describe('quantiles (Tune\'s _quantiles)', () => {
  const sizes = (n: number, fraction: number) => {
    const { lower, upper } = quantiles([...Array(n).keys()], fraction);
    return [lower, upper];
  };
  test('ceil(n x fraction) trials a side, at most floor(n / 2); one trial has none', () => {
    expect(sizes(1, 0.25)).toEqual([[], []]);
    expect(sizes(2, 0.25)).toEqual([[0], [1]]); // ceil(0.5) = 1
    expect(sizes(3, 0.25)).toEqual([[0], [2]]); // ceil(0.75) = 1
    expect(sizes(3, 0.5)).toEqual([[0], [2]]); // ceil(1.5) = 2 > 1.5, so floor(1.5) = 1
    expect(sizes(4, 0.25)).toEqual([[0], [3]]); // ceil(1) = 1
    expect(sizes(4, 0.3)).toEqual([[0, 1], [2, 3]]); // ceil(1.2) = 2 <= 2
    expect(sizes(4, 0.5)).toEqual([[0, 1], [2, 3]]);
    expect(sizes(5, 0.5)).toEqual([[0, 1], [3, 4]]); // ceil(2.5) = 3 > 2.5, so 2
  });
  test('a fraction of 0 exploits nobody and (Python\'s trials[-0:]) ranks everyone top', () => {
    expect(sizes(3, 0)).toEqual([[], [0, 1, 2]]);
  });
});

describe('explore', () => {
  const mutations = parseMutations({ lr: { loguniform: [1e-4, 1e-1] }, clip_param: [0.1, 0.2, 0.3], num_sgd_iter: { randint: [3, 20] } });
  const config = { lr: 0.01, clip_param: 0.3, num_sgd_iter: 7, gamma: 0.99 };

  test('each draw follows Tune\'s rules, draw for draw, under a fixed seed', () => {
    for (let seed = 0; seed < 40; seed++) {
      const got = explore(config, mutations, 0.25, new Random(seed));
      const twin = new Random(seed);
      // lr: resample with p, else x1.2 when u > 0.5, else x0.8
      if (twin.uniform() < 0.25) expect(got.lr).toBe(Math.exp(twin.uniform(Math.log(1e-4), Math.log(1e-1))));
      else expect(got.lr).toBe(twin.uniform() > 0.5 ? 0.01 * 1.2 : 0.01 * 0.8);
      // clip_param: resample from the list, else one index down (u > 0.5) or up, clamped at the ends
      const values = [0.1, 0.2, 0.3];
      if (twin.uniform() < 0.25) expect(got.clip_param).toBe(values[twin.integer(3)]);
      else expect(got.clip_param).toBe(twin.uniform() > 0.5 ? 0.2 : 0.3);
      // num_sgd_iter: an int stays an int (truncated, as Python's int())
      if (twin.uniform() < 0.25) expect(got.num_sgd_iter).toBe(twin.integerBetween(3, 19));
      else expect(got.num_sgd_iter).toBe(twin.uniform() > 0.5 ? 8 : 5);
      expect(got.gamma).toBe(0.99);
    }
  });

  test('over many draws: resampling at resample_probability, the two perturbations evenly, list edges stay put half the time', () => {
    const rng = new Random(1);
    const n = 4000;
    let lrScaled = 0;
    let lrUp = 0;
    const clip: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const got = explore({ lr: 0.01, clip_param: 0.1, num_sgd_iter: 10 }, mutations, 0.25, rng);
      if (got.lr === 0.01 * 1.2 || got.lr === 0.01 * 0.8) lrScaled++;
      if (got.lr === 0.01 * 1.2) lrUp++;
      clip[String(got.clip_param)] = (clip[String(got.clip_param)] ?? 0) + 1;
      expect(Number.isInteger(got.num_sgd_iter)).toBe(true);
    }
    expect(lrScaled / n).toBeGreaterThan(0.72);
    expect(lrScaled / n).toBeLessThan(0.78);
    expect(lrUp / lrScaled).toBeGreaterThan(0.46);
    expect(lrUp / lrScaled).toBeLessThan(0.54);
    // from the bottom edge 0.1: 3/8 stay (down, clamped), 3/8 go up to 0.2, 1/4 resampled evenly
    expect(clip['0.1'] / n).toBeCloseTo(0.375 + 0.25 / 3, 1);
    expect(clip['0.2'] / n).toBeCloseTo(0.375 + 0.25 / 3, 1);
    expect(clip['0.3'] / n).toBeCloseTo(0.25 / 3, 1);
  });

  test('a value not in its list is always resampled; nested mutations; custom_explore_fn runs last', () => {
    const nested = parseMutations({ model: { fcnet_hiddens: [[16], [32], [64]] }, clip_param: [0.1, 0.2] });
    const got = explore({ model: { fcnet_hiddens: [32], fcnet_activation: 'tanh' }, clip_param: 0.5 }, nested, 0, new Random(3), (c) => ({ ...c, touched: true }));
    expect([[16], [32], [64]]).toContainEqual((got.model as Record<string, unknown>).fcnet_hiddens);
    expect((got.model as Record<string, unknown>).fcnet_activation).toBe('tanh');
    expect([0.1, 0.2]).toContain(got.clip_param);
    expect(got.touched).toBe(true);
    expect(() => explore({ clip_param: 0.1 }, nested.clip_param ? { clip_param: nested.clip_param } : {}, 0, new Random(0), () => null)).toThrow(/custom_explore_fn returned null/);
  });
});

describe('PopulationBasedTraining decisions', () => {
  const spec = { type: 'pbt', time_attr: 'training_iteration', perturbation_interval: 2, hyperparam_mutations: { x: [1, 2, 3, 4] } };
  const population = (n: number): TrialView[] =>
    [...Array(n).keys()].map((i) => ({ id: `t${i}`, status: 'RUNNING' as const, config: { x: 1 + (i % 4) }, varied: {}, dir: `/tmp/t${i}` }));

  test('a trial is checked once time_attr is perturbation_interval past its last perturbation', async () => {
    const trials = population(2);
    const pbt = makePBT(spec, 'score', 'max');
    await pbt.setup('fn.js', trials, false);
    expect(pbt.onResult('t1', { training_iteration: 1, score: 5 }, trials)).toEqual({ action: 'CONTINUE' });
    expect(pbt.onResult('t1', { training_iteration: 2, score: 5 }, trials)).toEqual({ action: 'CONTINUE', checkpoint: false }); // alone: no quantiles
    expect(pbt.onResult('t0', { training_iteration: 3, score: 1 }, trials)).toEqual({ action: 'CONTINUE', checkpoint: false }); // t1 has no checkpoint yet
    expect(pbt.onResult('t1', { training_iteration: 3, score: 6 }, trials)).toEqual({ action: 'CONTINUE' }); // 3 - 2 < 2
    expect(pbt.onResult('t1', { training_iteration: 4, score: 6 }, trials)).toEqual({ action: 'CONTINUE', checkpoint: true }); // top of 2
    pbt.onCheckpoint('t1', '/tmp/t1/checkpoint_4/state.json');
    const exploit = pbt.onResult('t0', { training_iteration: 5, score: 1 }, trials);
    expect(exploit).toMatchObject({ action: 'PAUSE', checkpoint: false, clone: { donor: 't1', checkpoint: '/tmp/t1/checkpoint_4/state.json' } });
    expect(exploit.action === 'PAUSE' && exploit.clone?.record).toMatchObject({ trial: 't0', donor: 't1', iteration: 5, donor_iteration: 4, old_config: { x: 1 }, donor_config: { x: 2 } });
    // the clone takes the donor's perturbation time: checked again at 4 + 2, not 5 + 2
    expect(pbt.onResult('t0', { training_iteration: 5, score: 7 }, trials)).toEqual({ action: 'CONTINUE' });
    expect(pbt.onResult('t0', { training_iteration: 6, score: 7 }, trials)).toEqual({ action: 'CONTINUE', checkpoint: true });
  });

  test('populations of 3 and 4: only the bottom trial exploits, only the top one checkpoints; min mode ranks the other way', async () => {
    for (const [n, mode] of [
      [3, 'max'],
      [4, 'max'],
      [4, 'min'],
    ] as const) {
      const trials = population(n);
      const pbt = makePBT(spec, 'score', mode);
      await pbt.setup('fn.js', trials, false);
      const scores = [...Array(n).keys()].map((i) => (mode === 'max' ? i : -i)); // t0 worst, t(n-1) best
      const decisions = trials.map((t, i) => pbt.onResult(t.id, { training_iteration: 2, score: scores[i] }, trials));
      expect(decisions.at(-1)).toEqual({ action: 'CONTINUE', checkpoint: true });
      pbt.onCheckpoint(`t${n - 1}`, 'ckpt');
      const again = trials.map((t, i) => pbt.onResult(t.id, { training_iteration: 4, score: scores[i] }, trials));
      expect(again[0]).toMatchObject({ action: 'PAUSE', clone: { donor: `t${n - 1}` } });
      for (const d of again.slice(1, -1)) expect(d).toEqual({ action: 'CONTINUE', checkpoint: false });
    }
  });

  test('custom_explore_fn: the user\'s module runs after the built-in perturbations; a module without a function is refused', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-explore-'));
    const good = path.join(dir, 'explore.mjs');
    writeFileSync(good, 'export default (config) => ({ ...config, x: config.x * 100, explored: true });\n');
    const trials = population(2);
    const pbt = makePBT({ ...spec, custom_explore_fn: good, resample_probability: 0 }, 'score', 'max');
    await pbt.setup('fn.js', trials, false);
    pbt.onResult('t0', { training_iteration: 2, score: 1 }, trials);
    expect(pbt.onResult('t1', { training_iteration: 2, score: 5 }, trials)).toEqual({ action: 'CONTINUE', checkpoint: true });
    pbt.onCheckpoint('t1', 'ckpt');
    const decision = pbt.onResult('t0', { training_iteration: 4, score: 1 }, trials);
    // the list moves x from the donor's 2 to 1 or 3, then the custom function multiplies it by 100
    const config = decision.action === 'PAUSE' ? decision.config : undefined;
    expect(config?.explored).toBe(true);
    expect([100, 300]).toContain(config?.x);

    const bad = path.join(dir, 'nothing.mjs');
    writeFileSync(bad, 'export const x = 1;\n');
    await expect(makePBT({ ...spec, custom_explore_fn: bad }, 'score', 'max').setup('fn.js', population(2), false)).rejects.toThrow(/exports no function; export default \(config\) => config/);
    await expect(makePBT({ ...spec, custom_explore_fn: path.join(dir, 'missing.js') }, 'score', 'max').setup('fn.js', population(2), false)).rejects.toThrow(/custom_explore_fn module .*missing.js not found/);
  });

  test('waiting trials make a checked trial pause (with a checkpoint), least-trained first', async () => {
    const trials = population(3);
    trials[2].status = 'PENDING';
    const pbt = makePBT(spec, 'score', 'max');
    await pbt.setup('fn.js', trials, false);
    expect(pbt.onResult('t0', { training_iteration: 2, score: 0 }, trials)).toEqual({ action: 'PAUSE', checkpoint: true });
    expect(pbt.order(trials).map((t) => t.id)).toEqual(['t1', 't2', 't0']);
  });

  test('a result without time_attr fails the trial (require_attrs), or is let through without it', async () => {
    const trials = population(2);
    const strict = makePBT(spec, 'score', 'max');
    await strict.setup('fn.js', trials, false);
    expect(userErrorOf(() => strict.onResult('t0', { score: 1 }, trials)).message).toMatch(/no time_attr 'training_iteration'.*"require_attrs": false/);
    const lax = makePBT({ ...spec, require_attrs: false }, 'score', 'max');
    await lax.setup('fn.js', trials, false);
    expect(lax.onResult('t0', { score: 1 }, trials)).toEqual({ action: 'CONTINUE' });
  });

  test('state() and load() carry the population and the random stream over a resume', async () => {
    const trials = population(2);
    const a = makePBT(spec, 'score', 'max');
    await a.setup('fn.js', trials, false);
    a.onResult('t0', { training_iteration: 2, score: 1 }, trials);
    a.onResult('t1', { training_iteration: 2, score: 5 }, trials);
    a.onCheckpoint('t1', 'ckpt');
    expect(a.onResult('t0', { training_iteration: 4, score: 1 }, trials).action).toBe('PAUSE'); // draws from the stream
    const b = makePBT(spec, 'score', 'max');
    b.load(JSON.parse(JSON.stringify(a.state())));
    await b.setup('fn.js', trials, true);
    // the same exploits, explored with the same draws
    const next = (s: typeof a) => [6, 8, 10, 12, 14, 16, 18, 20].map((t) => s.onResult('t0', { training_iteration: t, score: 1 }, trials));
    const resumed = next(b);
    for (const decision of resumed) expect(decision).toMatchObject({ action: 'PAUSE', clone: { donor: 't1', checkpoint: 'ckpt' } });
    expect(resumed).toEqual(next(a));
  });
});

describe('bad PBT input: one line each', () => {
  const base = { type: 'pbt', hyperparam_mutations: { lr: [1e-3, 1e-4] } };
  test.each([
    [{ ...base, quantile_fraction: 0.6 }, /'quantile_fraction' must be between 0 and 0.5/],
    [{ ...base, perturbation_interval: 0 }, /'perturbation_interval' must be a number > 0/],
    [{ ...base, resample_probabilty: 0.3 }, /unknown key 'resample_probabilty'; did you mean 'resample_probability'/],
    [{ type: 'pbt' }, /at least one of hyperparam_mutations or custom_explore_fn/],
    [{ ...base, synch: true }, /"synch": true\) is not supported/],
    [{ type: 'pbt', hyperparam_mutations: { lr: [] } }, /'hyperparam_mutations.lr' is an empty list/],
    [{ type: 'pbt', hyperparam_mutations: { lr: { loguniform: [0, 1] } } }, /loguniform.*needs 0 < low <= high/],
    [{ type: 'pbt', hyperparam_mutations: { lr: 0.1 } }, /must be a list of values, a search space/],
    [{ ...base, custom_explore_fn: 'explore.py' }, /'custom_explore_fn' must be the path of a JS module/],
  ])('%j', (spec, message) => {
    expect(userErrorOf(() => makePBT(spec, 'episode_reward_mean', 'max')).message).toMatch(message);
  });

  test('a mutation on a key the config does not have; a time_attr PPO does not report; a string perturbed as a number', async () => {
    const trial = (config: Record<string, unknown>): TrialView[] => [{ id: 't0', status: 'PENDING', config, varied: {}, dir: '/tmp/t0' }];
    const failure = async (spec: Record<string, unknown>, run: string, config: Record<string, unknown>) => {
      try {
        await makePBT({ type: 'pbt', ...spec }, 'episode_reward_mean', 'max').setup(run, trial(config), false);
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(await failure({ hyperparam_mutations: { lrr: [1] } }, 'PPO', { env: 'CartPole-v1' })).toMatch(/names 'lrr', which the trial config does not have; did you mean 'lr'\?/);
    expect(await failure({ hyperparam_mutations: { y: [1] } }, '/x/fn.js', { x: 1 })).toMatch(/names 'y', which the trial config does not have; did you mean 'x'\?/);
    expect(await failure({ hyperparam_mutations: { model: { fcnet_hidens: [[8]] } } }, 'PPO', { env: 'CartPole-v1' })).toMatch(/names 'model.fcnet_hidens'.*did you mean 'fcnet_hiddens'/);
    expect(await failure({ time_attr: 'training_iterations', hyperparam_mutations: { lr: [1] } }, 'PPO', {})).toMatch(/time_attr 'training_iterations' is not in PPO's results; did you mean 'training_iteration'\?/);
    expect(await failure({ time_attr: 'training_iteration', metric: 'reward', hyperparam_mutations: { lr: [1] } }, 'PPO', {})).toMatch(/metric 'reward' is not in PPO's results/);
    expect(await failure({ time_attr: 'info/learner/kl', hyperparam_mutations: { lr: [1] } }, 'PPO', {})).toBe('no error');
    expect(await failure({ hyperparam_mutations: { batch_mode: { uniform: [0, 1] } } }, 'PPO', { batch_mode: 'truncate_episodes' })).toMatch(/'batch_mode' is perturbed by x0.8 \/ x1.2, so it must be a number/);
  });

  test('a PPO key the experiment leaves out is drawn from its mutation (Tune\'s fill_config) and shown as a column', async () => {
    const trials: TrialView[] = [{ id: 't0', status: 'PENDING', config: { env: 'CartPole-v1' }, varied: {}, dir: '/tmp/t0' }];
    await makePBT({ type: 'pbt', hyperparam_mutations: { clip_param: [0.1, 0.2], lr: { loguniform: [1e-5, 1e-3] } } }, 'episode_reward_mean', 'max').setup('PPO', trials, false);
    expect([0.1, 0.2]).toContain(trials[0].config.clip_param);
    expect(trials[0].config.lr).toBeGreaterThanOrEqual(1e-5);
    expect(trials[0].config.lr).toBeLessThan(1e-3);
    expect(trials[0].varied).toEqual({ clip_param: trials[0].config.clip_param, lr: trials[0].config.lr });
  });
});

describe('replayPolicy (Tune\'s PopulationBasedTrainingReplay._load_policy)', () => {
  const change = (trial: string, donor: string, donorIteration: number, from: number, to: number): ConfigChange => ({
    trial,
    donor,
    iteration: donorIteration + 1,
    donor_iteration: donorIteration,
    old_config: {},
    donor_config: { lr: from },
    new_config: { lr: to },
  });
  test('follows the lineage back from the last change and starts from its first donor\'s config', () => {
    // t2 cloned t1 at 6, which had cloned t0 at 2
    expect(replayPolicy([change('t1', 't0', 2, 0.4, 0.32), change('t2', 't1', 6, 0.32, 0.256)])).toEqual({
      initial: { lr: 0.4 },
      changes: [
        { iteration: 2, config: { lr: 0.32 } },
        { iteration: 6, config: { lr: 0.256 } },
      ],
    });
  });
  test('an earlier lineage the trial left (its own older lines) is ignored', () => {
    expect(replayPolicy([change('t2', 't3', 2, 0.1, 0.2), change('t2', 't0', 4, 0.4, 0.5)])).toEqual({ initial: { lr: 0.4 }, changes: [{ iteration: 4, config: { lr: 0.5 } }] });
  });
});
