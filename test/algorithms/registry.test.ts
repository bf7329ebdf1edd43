// The registry is the one way into an algorithm: --run names it (an unknown name is one line,
// exit 2, listing the known ones), each entry documents every config key, and shared modules
// never import an algorithm's folder except through src/algorithms/registry.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { algorithmNames, allAlgorithms, getAlgorithm, isAlgorithm } from '../../src/algorithms/registry.js';
import { policyMaker, policyNames } from '../../src/algorithms/policies.js';
import { repoRoot, rl, userErrorOf } from '../helpers.js';

describe('algorithm registry', () => {
  test('--run with an unknown algorithm: one line naming the known ones, exit 2, before anything trains', () => {
    const { code, stderr, stdout } = rl(['train', '--run', 'DQNN', '--env', 'CartPole-v1']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([`rl: --run DQNN is not available; use one of ${algorithmNames().join(', ')}`]);
  });

  test("an experiment file's unknown run is named with the file", () => {
    expect(userErrorOf(() => getAlgorithm('A2C', 'x.yaml: run')).message).toBe(`x.yaml: run A2C is not available; use one of ${algorithmNames().join(', ')}`);
  });

  test('getAlgorithm and isAlgorithm find each algorithm by its exact name, and nothing else', () => {
    for (const algorithm of allAlgorithms()) {
      expect([algorithm.name, getAlgorithm(algorithm.name) === algorithm, isAlgorithm(algorithm.name)]).toEqual([algorithm.name, true, true]);
    }
    for (const name of ['DQNN', 'ppo', '', 'PPO ']) expect([name, isAlgorithm(name)]).toEqual([name, false]);
    // without a place, the message names the config key
    expect(userErrorOf(() => getAlgorithm('A2C')).message).toBe(`run A2C is not available; use one of ${algorithmNames().join(', ')}`);
  });

  test('policyMaker refuses an algorithm it does not list, naming the file to add it to', () => {
    expect(() => policyMaker('A2C')).toThrow(new Error('no policy for algorithm A2C: add it to src/algorithms/policies.ts'));
  });

  test('PPO is registered, and every config key of every algorithm has a one-line meaning', () => {
    expect(algorithmNames()).toContain('PPO');
    for (const algorithm of allAlgorithms()) {
      const keys = Object.keys(algorithm.config.defaults as object);
      expect(Object.keys(algorithm.config.docs).sort()).toEqual(keys.sort());
      for (const key of keys) expect([key, /\S/.test(algorithm.config.docs[key]) && !algorithm.config.docs[key].includes('\n')]).toEqual([key, true]);
      expect(Object.keys(algorithm.config.shape).sort()).toEqual(keys.sort());
      expect(algorithm.resultKeys).toContain('episode_reward_mean');
    }
  });

  test("README's algorithm table gives each algorithm's description and action spaces, as the registry has them", () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    for (const algorithm of allAlgorithms()) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${algorithm.name}\` |`));
      const [, description, spaces] = (row ?? '').split(' | ');
      expect([algorithm.name, description?.startsWith(algorithm.description) && algorithm.description.length > 0]).toEqual([algorithm.name, true]);
      expect(spaces?.split(', ').sort()).toEqual([...algorithm.actionSpaces].sort());
    }
  });

  test("policies.ts, the rollout threads' list, names the registry's algorithms with the registry's own makePolicy", () => {
    expect(policyNames()).toEqual(algorithmNames());
    for (const algorithm of allAlgorithms()) expect([algorithm.name, policyMaker(algorithm.name) === algorithm.makePolicy]).toEqual([algorithm.name, true]);
  });

  test('a rollout thread loads no config schema: the worker module graph has no zod', () => {
    const dist = path.join(repoRoot, 'dist', 'src');
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, from, bare] of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm)) {
        const spec = from ?? bare;
        if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
        else packages.add(spec);
      }
    };
    visit(path.join(dist, 'execution', 'worker_thread.js'));
    expect([...packages].filter((name) => name === 'zod' || name.startsWith('@tensorflow/'))).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
  });

  test('shared modules import no algorithm folder (only registry.ts lists them), and compare no algorithm name', () => {
    const src = path.join(repoRoot, 'src');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (name.endsWith('.ts')) files.push(full);
      }
    };
    walk(src);
    const offenders: string[] = [];
    for (const file of files) {
      const rel = path.relative(src, file).split(path.sep).join('/');
      const inAlgorithm = /^algorithms\/[^/]+\//.test(rel);
      if (inAlgorithm || rel === 'algorithms/registry.ts' || rel === 'algorithms/policies.ts' || rel === 'index.ts') continue;
      const text = readFileSync(file, 'utf8');
      // static, side-effect and dynamic imports alike; from src/algorithms/*.ts an algorithm folder is './<name>/'
      const folder = rel.startsWith('algorithms/') ? /(?:from|import)\s*\(?\s*'\.\/[a-z0-9_]+\// : /(?:from|import)\s*\(?\s*'[^']*algorithms\/[a-z0-9_]+\//;
      if (folder.test(text)) offenders.push(`${rel} imports an algorithm folder`);
      if (/[=!]==? '(?:PPO|DQN|SAC|DDPPO)'/.test(text)) offenders.push(`${rel} compares an algorithm name`);
    }
    expect(offenders).toEqual([]);
  });
});
