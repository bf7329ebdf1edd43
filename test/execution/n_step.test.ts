// n-step postprocessing on pieces that do not start at row 0, with two-float observations and
// n larger than the piece, and SAC's no_done_at_end (clearTerminated). The hand-worked DQN
// case (n = 2, gamma = 0.5) is in test/algorithms/dqn_td_target.test.ts.
import { expect, test } from '@jest/globals';
import { DISCOUNTS, adjustNStep, postprocessNStep, transitionsOf } from '../../src/execution/n_step.js';
import { allocateTransitions } from '../../src/execution/replay_buffer.js';
import { ACTIONS, NEW_OBS, OBS, REWARDS, TERMINATED, allocateBatch, column } from '../../src/execution/sample_batch.js';

test('a piece at rows [2, 5) of 6, n = 3, gamma 0.5: rows outside it untouched', () => {
  const t = allocateTransitions(6, 2, 1);
  t.rewards.set([100, 100, 1, 2, 4, 100]);
  for (let r = 0; r < 6; r++) t.nextObs.set([r, -r], 2 * r);
  t.terminated.set([1, 1, 0, 0, 1, 1]);
  t.discounts.fill(9);
  adjustNStep(t, 2, 5, 3, 0.5, 2);
  expect(Array.from(t.rewards)).toEqual([100, 100, 1 + 0.5 * 2 + 0.25 * 4, 2 + 0.5 * 4, 4, 100]);
  expect(Array.from(t.nextObs)).toEqual([0, -0, 1, -1, 4, -4, 4, -4, 4, -4, 5, -5]);
  expect(Array.from(t.terminated)).toEqual([1, 1, 1, 1, 1, 1]);
  expect(Array.from(t.discounts)).toEqual([9, 9, 0.125, 0.25, 0.5, 9]);
});

test('n = 2 inside a longer piece: the next observation and terminated come from row i + 1', () => {
  const t = allocateTransitions(4, 2, 1);
  t.rewards.set([1, 1, 1, 1]);
  for (let r = 0; r < 4; r++) t.nextObs.set([10 + r, 20 + r], 2 * r);
  t.terminated.set([0, 0, 0, 1]);
  adjustNStep(t, 0, 4, 2, 0.9, 2);
  expect(Array.from(t.nextObs)).toEqual([11, 21, 12, 22, 13, 23, 13, 23]);
  expect(Array.from(t.terminated)).toEqual([0, 0, 1, 1]);
  expect(Array.from(t.rewards)).toEqual([1.9, 1.9, 1.9, 1].map(Math.fround));
  expect(Array.from(t.discounts)).toEqual([0.81, 0.81, 0.81, 0.9].map(Math.fround));
});

test('postprocessNStep adds the discounts column; clearTerminated (no_done_at_end) bootstraps every row', () => {
  const make = () => {
    const batch = allocateBatch(3, { obs: 1, actions: 1, rewards: 1, terminated: 1, new_obs: 1 });
    column(batch, REWARDS).set([1, 2, 4]);
    column(batch, NEW_OBS).set([11, 12, 13]);
    column(batch, TERMINATED).set([0, 0, 1]);
    return batch;
  };
  const kept = make();
  postprocessNStep(kept, [[0, 3]], 2, 0.5);
  expect(kept.widths[DISCOUNTS]).toBe(1);
  expect(Object.keys(kept.columns)).toEqual(['obs', 'actions', 'rewards', 'terminated', 'new_obs', 'discounts']);
  expect(Array.from(column(kept, DISCOUNTS))).toEqual([0.25, 0.25, 0.5]);
  expect(Array.from(column(kept, TERMINATED))).toEqual([0, 1, 1]);
  const cleared = make();
  postprocessNStep(cleared, [[0, 3]], 2, 0.5, true);
  expect(Array.from(column(cleared, TERMINATED))).toEqual([0, 0, 0]);
  expect(Array.from(column(cleared, REWARDS))).toEqual([2, 4, 4]);
});

test("transitionsOf is the batch's columns, not copies", () => {
  const batch = allocateBatch(2, { obs: 2, actions: 1, rewards: 1, terminated: 1, new_obs: 2, discounts: 1 });
  const t = transitionsOf(batch);
  expect(t.count).toBe(2);
  expect(t.obs).toBe(column(batch, OBS));
  expect(t.actions).toBe(column(batch, ACTIONS));
  expect(t.rewards).toBe(column(batch, REWARDS));
  expect(t.nextObs).toBe(column(batch, NEW_OBS));
  expect(t.terminated).toBe(column(batch, TERMINATED));
  expect(t.discounts).toBe(column(batch, DISCOUNTS));
});
