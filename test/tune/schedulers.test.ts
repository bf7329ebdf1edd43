import { expect, test } from '@jest/globals';
import { ASHAScheduler, FIFOScheduler, MedianStoppingRule, makeScheduler, percentile } from '../../src/tune/schedulers.js';
import { userErrorOf } from '../helpers.js';

test('percentile interpolates linearly, as numpy', () => {
  expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
  expect(percentile([10, 0], 75)).toBe(7.5);
});

test('ASHA: rungs at grace_period x rf^k; a trial below the top 1/rf of its rung stops', () => {
  const asha = new ASHAScheduler({ time_attr: 'training_iteration', metric: 'score', mode: 'max', max_t: 9, grace_period: 1, reduction_factor: 3 });
  expect(asha.milestones).toEqual([1, 3]);
  const at = (id: string, t: number, score: number) => asha.onResult(id, { training_iteration: t, score });
  expect(at('a', 1, 10).action).toBe('CONTINUE'); // first at the rung: nothing to compare with
  expect(at('b', 1, 4).action).toBe('STOP'); // cutoff = 67th percentile of [10] = 10
  expect(at('c', 1, 12).action).toBe('CONTINUE'); // cutoff of [10, 4] = 8
  expect(at('d', 1, 9).action).toBe('STOP'); // cutoff of [10, 4, 12] = 10.67
  expect(at('a', 2, 11).action).toBe('CONTINUE'); // between rungs
  expect(at('a', 3, 11).action).toBe('CONTINUE');
  const stop = at('c', 3, 5);
  expect(stop).toMatchObject({ action: 'STOP' });
  expect(stop.action === 'STOP' && stop.reason).toMatch(/ASHA: score 5 below the rung-3 cutoff 11/);
  expect(at('a', 9, 20)).toMatchObject({ action: 'STOP', reason: 'training_iteration reached max_t 9' });
});

test('ASHA in min mode stops the larger values', () => {
  const asha = new ASHAScheduler({ time_attr: 'training_iteration', metric: 'loss', mode: 'min', max_t: 10, grace_period: 2, reduction_factor: 2 });
  expect(asha.onResult('a', { training_iteration: 2, loss: 1 }).action).toBe('CONTINUE');
  expect(asha.onResult('b', { training_iteration: 2, loss: 3 }).action).toBe('STOP');
  expect(asha.onResult('c', { training_iteration: 2, loss: 0.5 }).action).toBe('CONTINUE');
});

test('median stopping: after the grace period, a trial whose best is below the median of the others’ running means stops', () => {
  const rule = new MedianStoppingRule({ time_attr: 'training_iteration', metric: 'score', mode: 'max', grace_period: 2, min_samples_required: 2 });
  for (const [id, scores] of [['a', [5, 6, 7]], ['b', [4, 5, 6]]] as const) scores.forEach((s, i) => rule.onResult(id, { training_iteration: i + 1, score: s }));
  expect(rule.onResult('c', { training_iteration: 1, score: 0 }).action).toBe('CONTINUE'); // grace period
  expect(rule.onResult('c', { training_iteration: 2, score: 1 }).action).toBe('STOP'); // best 1 < median(5.5, 4.5) = 5
  expect(rule.onResult('d', { training_iteration: 2, score: 6 }).action).toBe('CONTINUE');
});

test('percentile ignores NaN (numpy.nanpercentile), is NaN for no values, and reaches both ends', () => {
  expect(percentile([NaN, 3, 1, NaN, 2], 50)).toBe(2);
  expect(Number.isNaN(percentile([], 50))).toBe(true);
  expect(Number.isNaN(percentile([NaN], 50))).toBe(true);
  expect(percentile([5, 1, 3], 0)).toBe(1);
  expect(percentile([5, 1, 3], 100)).toBe(5);
  expect(percentile([7], 30)).toBe(7);
  expect(percentile([10, 20, 30], 25)).toBe(15);
});

test('FIFO never stops a trial and has no state', () => {
  const fifo = new FIFOScheduler();
  expect(fifo.name).toBe('FIFO');
  expect(fifo.onResult()).toEqual({ action: 'CONTINUE' });
  expect(fifo.state()).toBeNull();
});

test('ASHA refuses settings without rungs, in one line naming the rule', () => {
  const base = { time_attr: 'training_iteration', metric: 'score', mode: 'max' as const, max_t: 10, grace_period: 1, reduction_factor: 2 };
  for (const bad of [{ grace_period: 0 }, { reduction_factor: 1 }, { max_t: 0.5 }]) {
    expect(userErrorOf(() => new ASHAScheduler({ ...base, ...bad })).message).toBe(
      'scheduler asha needs grace_period > 0, reduction_factor > 1 and max_t >= grace_period',
    );
  }
  expect(new ASHAScheduler({ ...base, max_t: 1 }).milestones).toEqual([]); // max_t == grace_period is allowed
  expect(new ASHAScheduler({ ...base, max_t: 8 }).milestones).toEqual([1, 2, 4]); // below max_t only
});

test('ASHA: a trial is judged once per rung, at the highest rung it has reached', () => {
  const asha = new ASHAScheduler({ time_attr: 'training_iteration', metric: 'score', mode: 'max', max_t: 100, grace_period: 1, reduction_factor: 2 });
  expect(asha.milestones).toEqual([1, 2, 4, 8, 16, 32, 64]);
  const at = (id: string, t: number, score: number) => asha.onResult(id, { training_iteration: t, score }).action;
  expect(at('a', 5, 10)).toBe('CONTINUE'); // recorded at rung 4 only
  expect(asha.state()).toEqual([{}, {}, { a: 10 }, {}, {}, {}, {}]);
  expect(at('b', 4, 3)).toBe('STOP'); // cutoff of [10] at rung 4
  expect(at('a', 6, 0)).toBe('CONTINUE'); // already recorded at rung 4, not yet at 8
  expect(at('c', 1, 3)).toBe('CONTINUE'); // rung 1 was empty
  expect(at('c', 1, -100)).toBe('CONTINUE'); // and c is recorded there already
  expect(at('d', 4, 10)).toBe('CONTINUE'); // equal to the cutoff is not below it
});

test('ASHA: a result without the metric is never stopped by a rung; the metric may be a nested key', () => {
  const asha = new ASHAScheduler({ time_attr: 'training_iteration', metric: 'info/score', mode: 'max', max_t: 10, grace_period: 1, reduction_factor: 2 });
  expect(asha.onResult('a', { training_iteration: 1, info: { score: 5 } }).action).toBe('CONTINUE');
  expect(asha.onResult('b', { training_iteration: 1, info: { score: 1 } }).action).toBe('STOP');
  expect(asha.onResult('c', { training_iteration: 1, info: { score: 'high' } }).action).toBe('CONTINUE');
  expect(asha.onResult('d', { training_iteration: 1 }).action).toBe('CONTINUE');
});

test('ASHA state round-trips, so a resumed experiment decides the same way; a state of other rungs is ignored', () => {
  const options = { time_attr: 'training_iteration', metric: 'score', mode: 'max' as const, max_t: 9, grace_period: 1, reduction_factor: 3 };
  const asha = new ASHAScheduler(options);
  asha.onResult('a', { training_iteration: 1, score: 10 });
  const resumed = new ASHAScheduler(options);
  resumed.load(JSON.parse(JSON.stringify(asha.state())));
  expect(resumed.onResult('b', { training_iteration: 1, score: 4 }).action).toBe('STOP');
  const other = new ASHAScheduler(options);
  other.load([{ a: 10 }]); // one rung; this scheduler has two
  other.load('nonsense');
  expect(other.state()).toEqual([{}, {}]);
  expect(other.onResult('b', { training_iteration: 1, score: 4 }).action).toBe('CONTINUE');
});

test('median stopping: min mode, min_samples_required, and only the others’ results up to the same time', () => {
  const rule = new MedianStoppingRule({ time_attr: 'training_iteration', metric: 'loss', mode: 'min', grace_period: 1, min_samples_required: 2 });
  rule.onResult('a', { training_iteration: 1, loss: 1 });
  // one other trial: fewer than min_samples_required
  expect(rule.onResult('b', { training_iteration: 1, loss: 50 }).action).toBe('CONTINUE');
  rule.onResult('a', { training_iteration: 5, loss: 100 }); // after t = 1: not counted at t = 1
  const stop = rule.onResult('c', { training_iteration: 1, loss: 30 }); // median of a: 1, b: 50 = 25.5; best 30 is worse
  expect(stop).toEqual({ action: 'STOP', reason: 'median stopping: best loss 30 below the median 25.5' });
  expect(rule.onResult('d', { training_iteration: 1, loss: 25 }).action).toBe('CONTINUE');
  // at t = 5, a's running mean is (1 + 100) / 2 = 50.5; b: 50, c: 30, d: 25 -> median 40; e's best is 45
  expect(rule.onResult('e', { training_iteration: 5, loss: 45 }).action).toBe('STOP');
});

test('median stopping: a trial is judged by its best result so far; state round-trips', () => {
  const options = { time_attr: 'training_iteration', metric: 'score', mode: 'max' as const, grace_period: 2, min_samples_required: 1 };
  const rule = new MedianStoppingRule(options);
  rule.onResult('a', { training_iteration: 2, score: 10 });
  rule.onResult('b', { training_iteration: 1, score: 20 });
  expect(rule.onResult('b', { training_iteration: 2, score: 0 }).action).toBe('CONTINUE'); // best 20 >= median 10
  const resumed = new MedianStoppingRule(options);
  resumed.load(JSON.parse(JSON.stringify(rule.state())));
  expect(resumed.onResult('c', { training_iteration: 2, score: 9 }).action).toBe('STOP'); // median of a: 10, b: 10
  resumed.load(null); // ignored
  expect(resumed.state()).toHaveProperty('c');
});

test('makeScheduler: FIFO by default, RLlib names and defaults, one-line errors', () => {
  for (const spec of [undefined, null, 'fifo', 'FIFO', { type: 'fifo' }]) expect(makeScheduler(spec, 'score', 'max')).toBeInstanceOf(FIFOScheduler);
  const asha = makeScheduler('asha', 'score', 'min') as ASHAScheduler;
  expect(asha).toBeInstanceOf(ASHAScheduler);
  expect(asha.options).toEqual({ time_attr: 'training_iteration', metric: 'score', mode: 'min', max_t: 100, grace_period: 1, reduction_factor: 4 });
  const custom = makeScheduler({ type: 'async_hyperband', time_attr: 'timesteps_total', max_t: 50, grace_period: 5, reduction_factor: 2 }, 'm', 'max') as ASHAScheduler;
  expect(custom.options).toEqual({ time_attr: 'timesteps_total', metric: 'm', mode: 'max', max_t: 50, grace_period: 5, reduction_factor: 2 });
  for (const type of ['median_stopping', 'median', 'MEDIAN']) {
    const median = makeScheduler({ type }, 'score', 'max') as MedianStoppingRule;
    expect(median).toBeInstanceOf(MedianStoppingRule);
    expect(median.options).toEqual({ time_attr: 'training_iteration', metric: 'score', mode: 'max', grace_period: 5, min_samples_required: 3 });
  }
  expect((makeScheduler({ type: 'median', grace_period: 1, min_samples_required: 2 }, 's', 'max') as MedianStoppingRule).options).toMatchObject({ grace_period: 1, min_samples_required: 2 });
  expect(userErrorOf(() => makeScheduler({ type: 'asha', max_t: '10' }, 's', 'max')).message).toBe("scheduler asha: 'max_t' must be a number");
  expect(userErrorOf(() => makeScheduler({ type: 'hyperband' }, 's', 'max')).message).toBe(
    `unknown scheduler 'hyperband': use "fifo", {"type": "asha", ...}, {"type": "median_stopping", ...} or {"type": "pbt", ...}`,
  );
  expect(userErrorOf(() => makeScheduler({}, 's', 'max')).message).toMatch(/^unknown scheduler 'undefined'/);
});

test('median stopping: a trial with no result yet at that time is no sample; a best equal to the median continues', () => {
  const rule = new MedianStoppingRule({ time_attr: 'training_iteration', metric: 'score', mode: 'max', grace_period: 1, min_samples_required: 2 });
  rule.onResult('a', { training_iteration: 1, score: 5 });
  rule.onResult('b', { training_iteration: 10, score: 5 }); // nothing at t <= 1
  expect(rule.onResult('c', { training_iteration: 1, score: 0 }).action).toBe('CONTINUE'); // one sample of two required
  rule.onResult('d', { training_iteration: 1, score: 7 });
  expect(rule.onResult('e', { training_iteration: 1, score: 5 }).action).toBe('CONTINUE'); // median(5, 0, 7) = 5: not below
  expect(rule.onResult('f', { training_iteration: 1, score: 4.5 }).action).toBe('STOP'); // median(5, 0, 7, 5) = 5
});

test('makeScheduler: PBT under both of its names (seeded as the experiment), and the replay of a PBT trial', () => {
  const spec = { hyperparam_mutations: { lr: [1e-3, 1e-4] } };
  for (const type of ['pbt', 'population_based_training', 'PBT']) expect(makeScheduler({ type, ...spec }, 'score', 'max', 3).name).toBe('PBT');
  expect(makeScheduler({ type: 'pbt_replay', changes: [] }, 'score', 'max').name).toBe('PBTReplay');
  expect(userErrorOf(() => makeScheduler({ type: 'pbt' }, 's', 'max')).message).toBe('scheduler pbt: give at least one of hyperparam_mutations or custom_explore_fn');
});

test('percentile leaves NaN out before sorting (sorting with NaN would scramble the order)', () => {
  expect(percentile([NaN, 10, 0], 0)).toBe(0);
  expect(percentile([NaN, 4], 50)).toBe(4);
  expect(percentile([3, NaN, 1, 2], 100)).toBe(3);
});

test('ASHA: a value equal to the rung cutoff continues; a metric that is not a number (even a numeric string) is never judged', () => {
  const asha = new ASHAScheduler({ time_attr: 'training_iteration', metric: 'score', mode: 'max', max_t: 10, grace_period: 1, reduction_factor: 2 });
  expect(asha.onResult('a', { training_iteration: 1, score: 10 }).action).toBe('CONTINUE');
  expect(asha.onResult('b', { training_iteration: 1, score: 10 }).action).toBe('CONTINUE'); // cutoff of [10] is 10: not below
  expect(asha.onResult('c', { training_iteration: 1, score: '1' }).action).toBe('CONTINUE');
  expect(asha.onResult('d', { training_iteration: 1, score: 9.5 }).action).toBe('STOP');
});

test('median stopping ignores a saved state that is not an object', () => {
  const rule = new MedianStoppingRule({ time_attr: 'training_iteration', metric: 'score', mode: 'max', grace_period: 1, min_samples_required: 1 });
  rule.onResult('a', { training_iteration: 1, score: 3 });
  for (const bad of ['nonsense', 7, true]) rule.load(bad);
  expect(rule.state()).toEqual({ a: [[1, 3]] });
});

test('schedulers carry the names Tune gives them', () => {
  expect(makeScheduler('asha', 'score', 'max').name).toBe('ASHA');
  expect(makeScheduler('median_stopping', 'score', 'max').name).toBe('MedianStopping');
});
