// Reading a checkpoint's saved networks back into the flat weight layout, without tfjs: each
// kernel and bias lands at its layer's offsets, free parameters at theirs, and a checkpoint whose
// layer sizes, activations or free parameters do not match the config is one clear UserError.
import { describe, expect, test } from '@jest/globals';
import { denseLayout, type ModelLayout } from '../../src/nn/layout.js';
import { weightsFromCheckpoint, weightsFromSavedNetworks, type SavedNetwork } from '../../src/policy/saved_weights.js';
import { userErrorOf } from '../helpers.js';

/** policy: 2 -> 3 (tanh) -> 2; value: 2 -> 1 (no hidden layer); a free log_std of 2 values after the layers. */
function layout(params: Record<string, number> = { log_std: 2 }): ModelLayout {
  return denseLayout(
    2,
    [
      { name: 'policy', inputSize: 2, hiddens: [3], activation: 'tanh', outputSize: 2 },
      { name: 'value', inputSize: 2, hiddens: [], activation: 'tanh', outputSize: 1 },
    ],
    { params, sizeSetting: { key: 'model.fcnet_hiddens', hiddens: [3] } },
  );
}

/** A layer's kernel and bias as a checkpoint saves them, each value distinct: base + index. */
function savedLayer(inSize: number, outSize: number, base: number): [{ shape: number[]; values: Float32Array }, { shape: number[]; values: Float32Array }] {
  return [
    { shape: [inSize, outSize], values: Float32Array.from({ length: inSize * outSize }, (_, i) => base + i) },
    { shape: [outSize], values: Float32Array.from({ length: outSize }, (_, i) => base + 100 + i) },
  ];
}

function network(...layers: [number, number, number][]): SavedNetwork {
  const saved: SavedNetwork = new Map();
  layers.forEach(([inSize, outSize, base], k) => {
    const [kernel, bias] = savedLayer(inSize, outSize, base);
    saved.set(`layer${k}/kernel`, kernel);
    saved.set(`layer${k}/bias`, bias);
  });
  return saved;
}

const goodNetworks = () => ({ policy: network([2, 3, 1000], [3, 2, 2000]), value: network([2, 1, 3000]) });

describe('weightsFromSavedNetworks', () => {
  test('every kernel, bias and free parameter lands at its offsets; nothing else is written', () => {
    const l = layout();
    const logStd = Float32Array.of(-0.5, 0.25);
    const asked: string[] = [];
    const weights = weightsFromSavedNetworks(l, goodNetworks(), 'ckpt', (name) => (asked.push(name), [logStd]));
    expect(asked).toEqual(['log_std']);
    expect(weights.length).toBe(l.totalSize);
    const expected = new Float32Array(l.totalSize).fill(Number.NaN);
    const place = (layerIndex: number, base: number) => {
      const layer = l.layers[layerIndex];
      const [kernel, bias] = savedLayer(layer.inSize, layer.outSize, base);
      expected.set(kernel.values, layer.kernelOffset);
      expected.set(bias.values, layer.biasOffset);
    };
    const [hidden, out] = l.networks.policy.path;
    place(hidden, 1000);
    place(out, 2000);
    place(l.networks.value.path[0], 3000);
    expected.set(logStd, l.params.log_std.offset);
    expect(expected.every((v) => !Number.isNaN(v))).toBe(true); // the layout has no gaps
    expect(Array.from(weights)).toEqual(Array.from(expected));
  });

  test('a layout without free parameters asks for no arrays (the default loader is never needed)', () => {
    const l = layout({});
    const weights = weightsFromSavedNetworks(l, goodNetworks(), 'ckpt', () => []);
    expect(weights.length).toBe(l.totalSize);
    expect(weights[l.layers[l.networks.value.path[0]].biasOffset]).toBe(3100);
  });

  test('a free parameter missing, doubled or of the wrong size names its setting and size', () => {
    const l = layout();
    for (const arrays of [[], [new Float32Array(2), new Float32Array(2)], [new Float32Array(3)], [new Float32Array(1)]]) {
      expect(userErrorOf(() => weightsFromSavedNetworks(l, goodNetworks(), 'ckpt', () => arrays)).message).toBe(
        'ckpt: the checkpoint has no 2 values of log_std for model.free_log_std; set model.free_log_std as it was trained or use a matching checkpoint',
      );
    }
    // a parameter with no setting of its own is named as it is
    const other = layout({ temperature: 1 });
    expect(userErrorOf(() => weightsFromSavedNetworks(other, goodNetworks(), 'ckpt', () => [])).message).toBe(
      'ckpt: the checkpoint has no 1 values of temperature for temperature; set temperature as it was trained or use a matching checkpoint',
    );
  });

  test('other layer sizes, or a missing or extra array, is one line naming both shapes', () => {
    const l = layout({});
    const wider = { ...goodNetworks(), policy: network([2, 4, 1000], [4, 2, 2000]) };
    expect(userErrorOf(() => weightsFromSavedNetworks(l, wider, 'ckpt', () => [])).message).toBe(
      "ckpt: the checkpoint's policy network has layers [2x4, 4x2] but the config describes [2x3, 3x2]; drop the conflicting model settings or use a matching checkpoint",
    );
    const extraBias = goodNetworks();
    extraBias.value.set('extra/bias', { shape: [1], values: Float32Array.of(0) });
    expect(userErrorOf(() => weightsFromSavedNetworks(l, extraBias, 'ckpt', () => [])).message).toMatch(/value network has layers \[2x1\] but the config describes \[2x1\]/);
    const noBias = goodNetworks();
    noBias.value.delete('layer0/bias');
    expect(userErrorOf(() => weightsFromSavedNetworks(l, noBias, 'ckpt', () => [])).message).toMatch(/value network has layers \[2x1\]/);
  });
});

describe('weightsFromCheckpoint', () => {
  const dense = (activation: unknown) => ({ class_name: 'Dense', config: { activation } });
  const topology = (layers: unknown) => ({ modelTopology: { config: { layers } } });
  const goodTopologies: Record<string, unknown> = {
    policy: topology([{ class_name: 'InputLayer', config: {} }, dense('tanh'), dense('linear')]),
    value: topology([dense('linear')]),
  };
  const loaded = (topologies: Record<string, unknown>) => ({
    modelJSON: (name: string) => topologies[name] as never,
    modelWeights: (name: string) => goodNetworks()[name as 'policy' | 'value'],
    loadArrays: (name: string) => (name === 'log_std' ? [Float32Array.of(7, 8)] : []),
  });

  test('reads the networks and free parameters when the activations match', () => {
    const l = layout();
    const weights = weightsFromCheckpoint(l, loaded(goodTopologies), 'ckpt');
    expect(Array.from(weights.subarray(l.params.log_std.offset))).toEqual([7, 8]);
    expect(weights[l.layers[l.networks.policy.path[1]].kernelOffset]).toBe(2000);
  });

  test("an activation the config does not describe is refused, naming both lists", () => {
    const edited = { ...goodTopologies, policy: topology([dense('relu'), dense('linear')]) };
    expect(userErrorOf(() => weightsFromCheckpoint(layout(), loaded(edited), 'ckpt')).message).toBe(
      "ckpt: its policy network's activations are [relu, linear] but its config describes [tanh, linear]; the checkpoint is inconsistent (edited?): use the checkpoint as it was written",
    );
    const short = { ...goodTopologies, policy: topology([dense('tanh')]) };
    expect(userErrorOf(() => weightsFromCheckpoint(layout(), loaded(short), 'ckpt')).message).toMatch(/activations are \[tanh\] but its config describes \[tanh, linear\]/);
  });

  test('a topology that is not a plain stack of Dense layers is refused', () => {
    const broken: unknown[] = [
      {},
      { modelTopology: null },
      { modelTopology: { config: {} } },
      { modelTopology: { config: { layers: 'Dense' } } },
      topology([dense('tanh'), { class_name: 'Dropout', config: { activation: 'linear' } }]),
      topology([dense('tanh'), dense(undefined)]),
      topology([dense('tanh'), { class_name: 'Dense' }]),
      topology([dense('tanh'), null]),
    ];
    for (const value of broken) {
      expect(userErrorOf(() => weightsFromCheckpoint(layout(), loaded({ ...goodTopologies, policy: value }), 'ckpt')).message).toBe(
        'ckpt: its policy network is not a stack of Dense layers, as rl saves them',
      );
    }
  });
});
