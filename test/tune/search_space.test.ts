import { describe, expect, test } from '@jest/globals';
import { expandSearchSpace } from '../../src/tune/search_space.js';
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
});
