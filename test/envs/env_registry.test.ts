// The env API helpers (the in-place protocol check, action checks and their messages, the
// classic-control base's state, snapshots and reset bounds) and the registry (defaults of
// register, make's kwargs and time limit, suggestions for unknown ids, module paths, custom env
// modules and what they must export).
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { EnvContractError, checkAction, isInPlaceEnv, resetBounds } from '../../src/envs/env.js';
import { envDisplayName, envSpec, looksLikePath, make, makeUnwrapped, register, registeredEnvs, resolveEnv } from '../../src/envs/registry.js';
import { Box, Discrete } from '../../src/envs/spaces.js';
import { CartPoleEnv } from '../../src/envs/classic_control/cartpole.js';
import { PendulumEnv } from '../../src/envs/classic_control/pendulum.js';
import { TimeLimit } from '../../src/envs/wrappers.js';
import { UserError } from '../../src/utils/errors.js';
import { repoRoot } from '../helpers.js';

describe('env.ts', () => {
  test('EnvContractError is an Error named as its class', () => {
    const error = new EnvContractError('returned 7');
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.message]).toEqual(['EnvContractError', 'returned 7']);
  });

  test('isInPlaceEnv: all three of stepInPlace, resetInPlace and writeObservation as functions', () => {
    const f = () => 0;
    expect(isInPlaceEnv({ stepInPlace: f, resetInPlace: f, writeObservation: f })).toBe(true);
    expect(isInPlaceEnv(new CartPoleEnv())).toBe(true);
    for (const partial of [{ resetInPlace: f, writeObservation: f }, { stepInPlace: f, writeObservation: f }, { stepInPlace: f, resetInPlace: f }, { stepInPlace: 1, resetInPlace: f, writeObservation: f }]) {
      expect(isInPlaceEnv(partial)).toBe(false);
    }
    expect(isInPlaceEnv(null)).toBe(false);
    expect(isInPlaceEnv(undefined)).toBe(false);
  });

  test('checkAction: the messages name the action, the range or size and the space', () => {
    const d = new Discrete(3, 2);
    checkAction(d, 4);
    expect(() => checkAction(d, 5)).toThrow(new RangeError('invalid action 5: expected an integer in [2, 4] for Discrete(3, start=2)'));
    expect(() => checkAction(d, undefined)).toThrow('invalid action undefined: expected an integer in [2, 4]');
    expect(() => checkAction(d, Float32Array.of(1, 2))).toThrow('invalid action [1, 2]: expected');
    const box = new Box(-1, 1, [2]);
    checkAction(box, [0.5, -0.5]);
    checkAction(box, Float32Array.of(9, 9)); // bounds are not checked: actions are clipped elsewhere
    expect(() => checkAction(box, 0.5)).toThrow('invalid action 0.5: expected 2 number(s) for Box(-1, 1, (2,), float32)');
    expect(() => checkAction(box, [1])).toThrow('invalid action [1]: expected 2 number(s)');
    expect(() => checkAction(box, ['1', 2])).toThrow('invalid action ["1",2]: expected 2 number(s)'); // not all numbers: JSON
    expect(() => checkAction(box, [1, Number.POSITIVE_INFINITY])).toThrow('invalid action [1, Infinity]: every value must be a finite number for Box(-1, 1, (2,), float32)');
    expect(() => checkAction(box, Float64Array.of(0, Number.NaN))).toThrow('invalid action [0, NaN]: every value must be a finite number');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => checkAction(box, circular)).toThrow('invalid action [object Object]: expected 2 number(s)');
    expect(() => checkAction(box, 3n)).toThrow('invalid action 3: expected 2 number(s)');
    const one = new Box(-1, 1, [1]);
    checkAction(one, 0.25); // a number for a one-value Box
    expect(() => checkAction(one, Number.NaN)).toThrow(/^invalid action NaN: every value must be a finite number/);
    expect(() => checkAction(one, '0.25')).toThrow('invalid action "0.25": expected 1 number(s)');
  });

  test('ClassicControlEnv: unwrapped is itself; state of the wrong length is refused; step takes an array; reset gives an empty info', () => {
    const env = new CartPoleEnv();
    expect(env.unwrapped).toBe(env);
    expect(() => (env.state = [0, 0, 0])).toThrow('state needs 4 values, got 3');
    const [obs, info] = env.reset({ seed: 1 });
    expect(info).toEqual({});
    expect(Array.from(obs)).toEqual(Array.from(Float32Array.from(env.state)));
    expect(env.step(1).slice(1)).toEqual([1, false, false, {}]);
    env.close();
    // a number or an array of one for a one-value Box
    const [p, q] = [new PendulumEnv(), new PendulumEnv()];
    p.reset({ seed: 2 });
    q.reset({ seed: 2 });
    const [a, ra] = p.step(0.5);
    const [b, rb] = q.step([0.5]);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(ra).toBe(rb);
    expect(Array.from(a).every(Number.isFinite)).toBe(true);
  });

  test('ClassicControlEnv: a state set before reset allows step; a snapshot restores state, generator and the episode', () => {
    const env = new CartPoleEnv();
    expect(() => env.step(0)).toThrow('call reset() before step()');
    env.state = [0, 0, 0.3, 0];
    expect(env.step(0)[2]).toBe(true); // the set state is a state: stepping works, and it falls
    const a = new CartPoleEnv();
    a.reset({ seed: 3 });
    a.step(1);
    const snapshot = structuredClone(a.snapshot());
    expect(snapshot.hasState).toBe(true);
    const b = new CartPoleEnv();
    b.restore(snapshot);
    expect(Array.from(b.state)).toEqual(Array.from(a.state));
    expect(Array.from(b.step(0)[0])).toEqual(Array.from(a.step(0)[0])); // restored as started: step works
    expect(Array.from(b.reset()[0])).toEqual(Array.from(a.reset()[0])); // the same generator
    const fresh = new CartPoleEnv();
    fresh.restore(structuredClone(new CartPoleEnv().snapshot()));
    expect(() => fresh.step(0)).toThrow('call reset() before step()');
    // lastTerminated is cleared by restore and by reset
    const fallen = new CartPoleEnv();
    fallen.state = [0, 0, 0.3, 0];
    fallen.step(0);
    expect(fallen.lastTerminated).toBe(true);
    fallen.restore(snapshot);
    expect(fallen.lastTerminated).toBe(false);
    fallen.state = [0, 0, 0.3, 0];
    fallen.step(0);
    fallen.reset({ seed: 0 });
    expect(fallen.lastTerminated).toBe(false);
    expect(fallen.lastTruncated).toBe(false);
  });

  test('resetBounds: the defaults, the options, equal bounds; non-numbers and low > high are refused', () => {
    expect(resetBounds(undefined, -0.05, 0.05)).toEqual([-0.05, 0.05]);
    expect(resetBounds({}, -0.05, 0.05)).toEqual([-0.05, 0.05]);
    expect(resetBounds({ low: -1 }, -0.05, 0.05)).toEqual([-1, 0.05]);
    expect(resetBounds({ high: 2 }, -0.05, 0.05)).toEqual([-0.05, 2]);
    expect(resetBounds({ low: 0.5, high: 0.5 }, 0, 1)).toEqual([0.5, 0.5]);
    expect(() => resetBounds({ low: 1, high: 0 }, 0, 1)).toThrow('reset options low/high must be numbers with low <= high, got 1, 0');
    expect(() => resetBounds({ low: '0' }, 0, 1)).toThrow('got 0, 1');
    expect(resetBounds({ high: null }, 0, 1)).toEqual([0, 1]); // null is no option
    expect(() => resetBounds({ high: 'x' }, 0, 1)).toThrow('got 0, x');
    expect(() => resetBounds({ low: 0, high: '1' }, 0, 1)).toThrow(/low <= high, got 0, 1/);
    expect(() => resetBounds({ low: Number.NaN }, 0, 1)).toThrow('got NaN, 1');
  });
});

describe('registry.ts', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-registry-'));
  let n = 0;
  const moduleFile = (body: string, name = `m${n++}.js`) => {
    const file = path.join(dir, name);
    writeFileSync(file, body);
    return file;
  };
  const spaces = "observation_space: { type: 'Box', low: [0], high: [1] }, action_space: { type: 'Discrete', n: 2 }";
  const rejection = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (e: unknown) => e as Error,
    );

  test('register: no time limit, no threshold, no kwargs unless given; make passes kwargs over the defaults', () => {
    const seen: Record<string, unknown>[] = [];
    register({ id: 'test/Kw', entryPoint: (kw) => (seen.push(kw), new CartPoleEnv()) });
    const spec = envSpec('test/Kw');
    expect([spec.maxEpisodeSteps, spec.rewardThreshold, spec.kwargs, spec.modulePath]).toEqual([null, null, {}, undefined]);
    expect(make('test/Kw')).toBeInstanceOf(CartPoleEnv); // no time limit: no wrapper
    register({ id: 'test/Kw2', entryPoint: (kw) => (seen.push(kw), new CartPoleEnv()), kwargs: { a: 1, b: 2 }, maxEpisodeSteps: 7 });
    makeUnwrapped('test/Kw2', { b: 3 });
    expect(seen).toEqual([{}, { a: 1, b: 3 }]);
    const limited = make('test/Kw2', { b: 4, max_episode_steps: 2 });
    expect(seen[2]).toEqual({ a: 1, b: 4 }); // max_episode_steps is not passed to the env
    expect(limited).toBeInstanceOf(TimeLimit);
    limited.reset({ seed: 0 });
    limited.step(0);
    expect(limited.step(1)[3]).toBe(true);
    expect(make('test/Kw2', { max_episode_steps: null })).toBeInstanceOf(CartPoleEnv);
    expect(registeredEnvs().some((s) => s.id === 'test/Kw')).toBe(true);
  });

  test('a custom env that is not an object, or whose spaces are null or strings, is told what it lacks (no TypeError from reading its spaces)', async () => {
    const lacks = async (body: string) => (await rejection(resolveEnv(moduleFile(body))))?.message.replace(/^env module \S+: /, '');
    for (const made of ['null', 'undefined', '7']) {
      expect(await lacks(`export default function make() { return ${made}; }`)).toBe(
        "the env it creates lacks a reset() method, a step() method, an observation_space (Box), an action_space (Discrete or Box) (see Gymnasium's Env API)",
      );
    }
    const env = (spaces: string) => `export default class E { constructor() { ${spaces} } reset() { return [[0], {}]; } step() { return [[0], 0, true, false, {}]; } }`;
    expect(await lacks(env("this.observation_space = null; this.action_space = { type: 'Discrete', n: 2 };"))).toBe(
      "the env it creates lacks an observation_space (Box) (see Gymnasium's Env API)",
    );
    expect(await lacks(env("this.observation_space = { type: 'Box', low: [0], high: [1] }; this.action_space = 'Discrete(2)';"))).toBe(
      "the env it creates lacks an action_space (Discrete or Box) (see Gymnasium's Env API)",
    );
  });

  test('unknown ids: up to three ids within the distance, closest first, else the closest; paths are named as not loaded', () => {
    register({ id: 'test/Abcdefgh-v0', entryPoint: () => new CartPoleEnv() });
    register({ id: 'test/Abcdefgh-v1', entryPoint: () => new CartPoleEnv() });
    register({ id: 'test/Abcdefgh-v10', entryPoint: () => new CartPoleEnv() });
    register({ id: 'test/Abcdefgh-v11', entryPoint: () => new CartPoleEnv() });
    const message = (id: string) => {
      try {
        envSpec(id);
      } catch (error) {
        expect(error).toBeInstanceOf(UserError);
        return (error as Error).message;
      }
      throw new Error('no error');
    };
    expect(message('test/abcdefgh-v1')).toBe(
      "unknown env id 'test/abcdefgh-v1': did you mean 'test/Abcdefgh-v1' or 'test/Abcdefgh-v0' or 'test/Abcdefgh-v10'? Run `rl envs` to list the registered ids, or pass a module path such as ./my-env.js",
    );
    // far from every id: the single closest one
    expect(message('Zzzzzzzzzzzzzzzzzzzzzzzzzzz')).toMatch(/^unknown env id 'Zzzzzzzzzzzzzzzzzzzzzzzzzzz': did you mean '[^']+'\? Run/);
    expect(message('CartPole-v')).toMatch(/did you mean 'CartPole-v0' or 'CartPole-v1'\?/);
    // 'CartPole' is 3 edits from both CartPole ids: the distance allowed is at least 3, and both are named
    expect(message('CartPole')).toMatch(/^unknown env id 'CartPole': did you mean 'CartPole-v0' or 'CartPole-v1'\? Run/);
    expect(message('./nowhere.js')).toBe("env module './nowhere.js' is not loaded; load it with resolveEnv('./nowhere.js') first");
  });

  test('looksLikePath: relative, absolute and file: paths and .js/.mjs/.cjs names; ids are not', () => {
    for (const p of ['./env.js', '../env', '.\\env', '/abs/env', '\\abs', 'file:///x/env.js', 'env.js', 'env.mjs', 'env.cjs', 'dir/env.js']) expect(looksLikePath(p)).toBe(true);
    for (const id of ['CartPole-v1', 'test/Recorder', 'env.json', 'env.jsx', '.env', 'my.js.env', 'file']) expect(looksLikePath(id)).toBe(false);
  });

  test('resolveEnv: ids as they are (unknown ones refused); modules by path or file: URL, once; their time limit and threshold', async () => {
    expect(await resolveEnv('CartPole-v1')).toBe('CartPole-v1');
    expect(await rejection(resolveEnv('CartPol-v1'))).toBeInstanceOf(UserError);
    const file = moduleFile(`export const max_episode_steps = 12;\nexport const reward_threshold = 3.5;\nexport default () => ({ ${spaces}, reset() { return [[0], {}]; }, step() { return [[0], 0, false, false, {}]; } });\n`);
    const id = await resolveEnv(path.basename(file), dir);
    expect(id).toBe(file);
    expect([envSpec(id).maxEpisodeSteps, envSpec(id).rewardThreshold, envSpec(id).modulePath]).toEqual([12, 3.5, file]);
    expect(await resolveEnv(`file://${file}`)).toBe(file);
    expect(await resolveEnv(file)).toBe(file); // registered: returned as it is
    expect(registeredEnvs().some((s) => s.id === file)).toBe(false); // modules are not listed as registered ids
    expect(envDisplayName(file)).toBe(path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file));
    expect(envDisplayName('CartPole-v1')).toBe('CartPole-v1');
    // exports that are not numbers are no time limit, no threshold
    const other = moduleFile(`export const max_episode_steps = '12';\nexport default () => ({ ${spaces}, reset() { return [[0], {}]; }, step() { return [[0], 0, false, false, {}]; } });\n`);
    expect([envSpec(await resolveEnv(other)).maxEpisodeSteps, envSpec(other).rewardThreshold]).toEqual([null, null]);
  });

  test('a module path inside the project is shown relative to the working directory', async () => {
    const corridor = path.join(repoRoot, 'test', 'fixtures', 'custom-envs', 'corridor.js');
    const id = await resolveEnv(corridor);
    const cwd = process.cwd();
    process.chdir(repoRoot);
    try {
      expect(envDisplayName(id)).toBe('test/fixtures/custom-envs/corridor.js');
    } finally {
      process.chdir(cwd);
    }
  });

  test('custom env modules: a class or a factory under default, Env, createEnv or makeEnv; JSON spaces become spaces', async () => {
    const body = `{ ${spaces}, reset() { return [[0], {}]; }, step() { return [[0], 0, false, false, {}]; } }`;
    const files = [
      moduleFile(`export default class { constructor(kw) { Object.assign(this, ${body}); this.kw = kw; } }\n`),
      moduleFile(`export const Env = (kw) => ({ ...${body}, kw });\n`),
      moduleFile(`export function createEnv(kw) { return { ...${body}, kw }; }\n`),
      moduleFile(`export const makeEnv = (kw) => ({ ...${body}, kw });\n`),
    ];
    for (const file of files) {
      const env = makeUnwrapped(await resolveEnv(file), { x: 1 }) as unknown as { kw: unknown; observation_space: unknown; action_space: unknown };
      expect(env.kw).toEqual({ x: 1 });
      expect(env.observation_space).toBeInstanceOf(Box);
      expect(env.action_space).toBeInstanceOf(Discrete);
    }
    // a read-only JSON space stays as it is, and the check names it
    const readOnly = moduleFile(
      `export default () => Object.freeze({ observation_space: { type: 'Box', low: [0], high: [1] }, action_space: { type: 'Discrete', n: 2 }, reset() {}, step() {} });\n`,
    );
    expect((await rejection(resolveEnv(readOnly)))?.message).toMatch(/the env it creates lacks an observation_space \(Box\), an action_space \(Discrete or Box\) \(see Gymnasium's Env API\)$/);
  });

  test('custom env modules: what is wrong is one line naming the module', async () => {
    const lacks = moduleFile('export default () => ({});\n', 'lacks.js');
    expect((await rejection(resolveEnv(lacks)))?.message).toBe(
      `env module ${lacks}: the env it creates lacks a reset() method, a step() method, an observation_space (Box), an action_space (Discrete or Box) (see Gymnasium's Env API)`,
    );
    const nullEnv = moduleFile('export default () => null;\n');
    expect((await rejection(resolveEnv(nullEnv)))?.message).toMatch(/the env it creates lacks a reset\(\) method, a step\(\) method, an observation_space/);
    const throws = moduleFile("export default () => { throw new Error('no config'); };\n");
    expect((await rejection(resolveEnv(throws)))?.message).toBe(`env module ${throws}: creating the env failed: no config`);
    const syntax = moduleFile('export default (;\n');
    const error = await rejection(resolveEnv(syntax));
    expect(error).toBeInstanceOf(UserError);
    expect(error?.message).toMatch(new RegExp(`^env module ${syntax.replace(/[.\\]/g, '\\$&')} could not be loaded: `));
    const none = moduleFile('export const x = 1;\n');
    expect((await rejection(resolveEnv(none)))?.message).toMatch(/exports no env: export default a class or factory function/);
    const missing = path.join(dir, 'missing.js');
    expect((await rejection(resolveEnv(missing)))?.message).toBe(`env module ${missing} not found (looked for ${missing})`);
    expect((await rejection(resolveEnv('./missing.js', dir)))?.message).toBe(`env module ./missing.js not found (looked for ${missing})`);
  });

  test('an unknown id is named as an id, not looked for as a file; envDisplayName passes unknown ids through', async () => {
    expect((await rejection(resolveEnv('CartPol-v1')))?.message).toMatch(/^unknown env id 'CartPol-v1': did you mean 'CartPole-v1'/);
    expect(envDisplayName('NoSuchEnv-v0')).toBe('NoSuchEnv-v0');
  });

  test('a factory function whose source mentions a class is called, not constructed', async () => {
    // an arrow function cannot be called with new: only the source's start says whether it is a class
    const file = moduleFile(
      "export default () => { class Corridor { constructor() { this.observation_space = { type: 'Box', low: [0], high: [1] }; this.action_space = { type: 'Discrete', n: 2 }; } reset() { return [[0], {}]; } step() { return [[0], 0, false, false, {}]; } } return new Corridor(); };\n",
    );
    const id = await resolveEnv(file);
    expect(make(id).reset()[0]).toEqual([0]);
  });
});
