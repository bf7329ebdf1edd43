// ppoModelLayout: the layers and free parameters PPO's networks get, under the names the
// checkpoints have always had (RLlib's FullyConnectedNetwork: fc_<i>, fc_out, value_fc_<i>,
// value_out), with vf_share_layers and free_log_std, and the setting a too-large network's error names.
import { describe, expect, test } from '@jest/globals';
import { Box, Discrete } from '../../src/envs/spaces.js';
import { ppoModelLayout } from '../../src/algorithms/ppo/model.js';

const model = { fcnet_hiddens: [8, 6], fcnet_activation: 'tanh' as const, vf_share_layers: false };

describe('ppoModelLayout', () => {
  test('separate networks: fc_1, fc_2, fc_out, then value_fc_1, value_fc_2, value_out, each reading the observation', () => {
    const layout = ppoModelLayout(4, new Discrete(3), model);
    expect(layout.layers.map((l) => [l.name, l.inSize, l.outSize])).toEqual([
      ['fc_1', 4, 8],
      ['fc_2', 8, 6],
      ['fc_out', 6, 3],
      ['value_fc_1', 4, 8],
      ['value_fc_2', 8, 6],
      ['value_out', 6, 1],
    ]);
    expect([layout.policyPath, layout.valuePath]).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect([layout.logStdOffset, layout.params]).toEqual([null, {}]);
  });

  test('vf_share_layers: the value head reads the policy hidden layers; only value_out is its own', () => {
    const layout = ppoModelLayout(4, new Discrete(3), { ...model, vf_share_layers: true });
    expect(layout.layers.map((l) => l.name)).toEqual(['fc_1', 'fc_2', 'fc_out', 'value_out']);
    expect(layout.valuePath).toEqual([0, 1, 3]);
    expect(layout.totalSize).toBe(4 * 8 + 8 + 8 * 6 + 6 + 6 * 3 + 3 + 6 * 1 + 1);
  });

  test('free_log_std on a Box: fc_out gives the means only; the log-stds are one free vector, last in the weights', () => {
    const layout = ppoModelLayout(4, new Box(-1, 1, [3]), { ...model, free_log_std: true });
    expect(layout.layers[2]).toMatchObject({ name: 'fc_out', outSize: 3 });
    expect(layout.policyOutputs).toBe(6);
    expect(layout.params).toEqual({ log_std: { offset: layout.totalSize - 3, size: 3 } });
    expect(layout.logStdOffset).toBe(layout.totalSize - 3);
    // without it, fc_out gives means and log-stds
    expect(ppoModelLayout(4, new Box(-1, 1, [3]), model).layers[2]).toMatchObject({ name: 'fc_out', outSize: 6 });
  });

  test("the size an error names is model.fcnet_hiddens and its value", () => {
    expect(ppoModelLayout(4, new Discrete(2), model).sizeSetting).toEqual({ key: 'model.fcnet_hiddens', hiddens: [8, 6] });
  });
});
