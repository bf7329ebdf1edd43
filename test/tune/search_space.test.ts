import { describe, expect, test } from '@jest/globals';
import { expandSearchSpace, pathLabel, randomDomain, sampleDomain, searchKind } from '../../src/tune/search_space.js';
import { Random } from '../../src/utils/random.js';
import { UserError } from '../../src/index.js';

describe('search spaces', () => {
  test("the book's nested grids inside an array are crossed, the first varying fastest", () => {
    const config = { env: 'CartPole-v1', model: { fcnet_hiddens: [{ grid_search: [20, 40, 60, 80] }, { grid_search: [20, 40, 60, 80] }] } };
    const variants = expandSearchSpace(config, 1, 0);
    expect(variants).toHaveLength(16);
    expect(variants.slice(0, 5).map((v) => (v.config.model as { fcnet_hiddens: number[] }).fcnet_hiddens)).toEqual([
      [20, 20],
      [40, 20],
      [60, 20],
      [80, 20],
      [20, 40],
    ]);
    expect(variants[5].varied).toEqual({ 'fcnet_hiddens[0]': 40, 'fcnet_hiddens[1]': 40 });
    expect(config.model.fcnet_hiddens[0]).toEqual({ grid_search: [20, 40, 60, 80] }); // input untouched
  });

  test('random entries are drawn num_samples times per grid point, seeded, inside their ranges', () => {
    const config = {
      lr: { loguniform: [1e-5, 1e-2] },
      gamma: { uniform: [0.9, 0.99] },
      batch: { quniform: [100, 1000, 50] },
      width: { randint: [8, 12] },
      activation: { choice: ['tanh', 'relu'] },
      deep: { nested: [{ grid_search: [1, 2] }] },
    };
    const variants = expandSearchSpace(config, 5, 7);
    expect(variants).toHaveLength(10);
    for (const { config: c } of variants) {
      expect(c.lr as number).toBeGreaterThanOrEqual(1e-5);
      expect(c.lr as number).toBeLessThanOrEqual(1e-2);
      expect(c.gamma as number).toBeGreaterThanOrEqual(0.9);
      expect((c.batch as number) % 50).toBe(0);
      expect([8, 9, 10, 11]).toContain(c.width);
      expect(['tanh', 'relu']).toContain(c.activation);
    }
    expect(new Set(variants.map((v) => v.config.lr)).size).toBe(10);
    expect(expandSearchSpace(config, 5, 7)).toEqual(variants);
    expect(expandSearchSpace(config, 5, 8)).not.toEqual(variants);
    expect(Object.keys(variants[0].varied)).toEqual(['lr', 'gamma', 'batch', 'width', 'activation', 'nested[0]']);
  });

  test('a config without search spaces is one trial per sample; bad specs are clear errors', () => {
    expect(expandSearchSpace({ lr: 1 }, 3, 0).map((v) => v.config)).toEqual([{ lr: 1 }, { lr: 1 }, { lr: 1 }]);
    expect(() => expandSearchSpace({ lr: { uniform: [2, 1] } }, 1, 0)).toThrow(UserError);
    expect(() => expandSearchSpace({ lr: { uniform: [2, 1] } }, 1, 0)).toThrow('config.lr: {"uniform": [low, high]} needs two numbers with low <= high');
    expect(() => expandSearchSpace({ a: { b: { grid_search: [] } } }, 1, 0)).toThrow('config.a.b: {"grid_search": [...]} needs a non-empty list');
  });

  test('each random kind refuses a bad spec with the rule it breaks; edge values that satisfy it pass', () => {
    const error = (node: unknown) => {
      try {
        expandSearchSpace({ p: node }, 1, 0);
        return null;
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        return (e as Error).message;
      }
    };
    const pair = (kind: string) => `config.p: {"${kind}": [low, high]} needs two numbers with low <= high`;
    expect(error({ choice: [] })).toBe('config.p: {"choice": [...]} needs a non-empty list of values');
    expect(error({ choice: 'ab' })).toBe('config.p: {"choice": [...]} needs a non-empty list of values');
    expect(error({ grid_search: 3 })).toBe('config.p: {"grid_search": [...]} needs a non-empty list of values');
    for (const kind of ['uniform', 'randint']) {
      for (const bad of [[1], [1, 2, 3], [1, '2'], ['1', 2], [3, 2], 5]) expect(error({ [kind]: bad })).toBe(pair(kind));
      expect(error({ [kind]: [2, 2] })).toBeNull(); // low == high is allowed
    }
    const log = 'config.p: {"loguniform": [low, high]} needs 0 < low <= high';
    for (const bad of [[0, 1], [-1, 1], [2, 1], [1]]) expect(error({ loguniform: bad })).toBe(log);
    expect(error({ loguniform: [1e-9, 1e-9] })).toBeNull();
    const q = 'config.p: {"quniform": [low, high, q]} needs low <= high and q > 0';
    for (const bad of [[1, 2], [1, 2, 0], [1, 2, -1], [3, 2, 1], [1, '2', 1], [1, 2, 1, 4], 'x']) expect(error({ quniform: bad })).toBe(q);
    expect(error({ quniform: [2, 2, 0.5] })).toBeNull();
  });

  test('num_samples must be a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => expandSearchSpace({}, bad, 0)).toThrow(`num_samples must be a positive integer, got ${bad}`);
    expect(expandSearchSpace({}, 1, 0)).toHaveLength(1);
  });

  test('draws: randint excludes its upper bound, quniform rounds to multiples of q, loguniform is uniform in log space', () => {
    const rng = new Random(3);
    const ints = new Set(Array.from({ length: 200 }, () => sampleDomain({ kind: 'randint', spec: [0, 3] }, rng)));
    expect([...ints].sort()).toEqual([0, 1, 2]);
    const qs = Array.from({ length: 200 }, () => sampleDomain({ kind: 'quniform', spec: [0, 1, 0.25] }, rng) as number);
    expect(new Set(qs)).toEqual(new Set([0, 0.25, 0.5, 0.75, 1]));
    const logs = Array.from({ length: 400 }, () => Math.log10(sampleDomain({ kind: 'loguniform', spec: [1e-4, 1] }, rng) as number));
    expect(Math.min(...logs)).toBeGreaterThanOrEqual(-4);
    expect(Math.max(...logs)).toBeLessThanOrEqual(0);
    // a quarter of the log range holds about a quarter of the draws (a plain uniform would put ~0.01% below 1e-3)
    expect(logs.filter((l) => l < -3).length).toBeGreaterThan(60);
    const us = Array.from({ length: 200 }, () => sampleDomain({ kind: 'uniform', spec: [5, 6] }, rng) as number);
    expect(Math.min(...us)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...us)).toBeLessThan(6);
    expect(Math.max(...us) - Math.min(...us)).toBeGreaterThan(0.9);
    const picks = new Set(Array.from({ length: 100 }, () => sampleDomain({ kind: 'choice', spec: ['a', 'b', 'c'] }, rng)));
    expect(picks).toEqual(new Set(['a', 'b', 'c']));
  });

  test('randomDomain: the checked domain of a random node; null for grids, plain values and multi-key objects', () => {
    expect(randomDomain({ uniform: [0, 1] }, 'here')).toEqual({ kind: 'uniform', spec: [0, 1] });
    expect(randomDomain({ grid_search: [1] }, 'here')).toBeNull();
    expect(randomDomain(3, 'here')).toBeNull();
    // JSON null and a missing value are plain values too (a hyperparam_mutations entry may be null)
    expect(randomDomain(null, 'here')).toBeNull();
    expect(randomDomain(undefined, 'here')).toBeNull();
    expect(randomDomain([{ uniform: [0, 1] }], 'here')).toBeNull();
    expect(randomDomain({ uniform: [0, 1], other: 1 }, 'here')).toBeNull();
    expect(() => randomDomain({ uniform: [1, 0] }, 'hyperparam_mutations.lr')).toThrow('hyperparam_mutations.lr: {"uniform": [low, high]} needs two numbers');
  });

  test('searchKind names the one key of a search node; other objects are plain values', () => {
    expect(searchKind({ grid_search: [1] })).toBe('grid_search');
    expect(searchKind({ randint: [1, 2] })).toBe('randint');
    expect(searchKind({ normal: [0, 1] })).toBeNull();
    expect(searchKind({})).toBeNull();
    expect(searchKind({ choice: [1], uniform: [0, 1] })).toBeNull();
  });

  test('labels: the last key with its indices, the full path where two would clash', () => {
    expect(pathLabel(['model', 'fcnet_hiddens', 0])).toBe('model.fcnet_hiddens[0]');
    expect(pathLabel([0, 'a'])).toBe('[0].a');
    const config = {
      a: { lr: { grid_search: [1, 2] } },
      b: { lr: { uniform: [0, 1] } },
      model: { fcnet_hiddens: [[{ choice: [1] }]] },
      gamma: { grid_search: [0.9] },
    };
    const labels = ['a.lr', 'b.lr', 'fcnet_hiddens[0][0]', 'gamma'];
    const variants = expandSearchSpace(config, 1, 0);
    expect(variants.map((v) => Object.keys(v.varied))).toEqual([labels, labels]);
    expect(variants.map((v) => (v.config.a as { lr: number }).lr)).toEqual([1, 2]);
    expect(variants[0].config.model).toEqual({ fcnet_hiddens: [[1]] });
  });

  test('grid values are copied into each variant: changing one variant leaves the others alone', () => {
    const variants = expandSearchSpace({ layers: { grid_search: [[8, 8]] }, x: { grid_search: [1, 2] } }, 1, 0);
    (variants[0].config.layers as number[]).push(1);
    expect(variants[1].config.layers).toEqual([8, 8]);
    expect(variants[1].varied.layers).toEqual([8, 8]);
  });
});
