import { expect, test } from '@jest/globals';
import { ASHAScheduler, MedianStoppingRule, percentile } from '../../src/tune/schedulers.js';

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
