import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseJSONOrFile, readConfigLayer } from '../../src/config/index.js';
import { resolvePPOConfig } from '../../src/algorithms/ppo/defaults.js';
import { repoRoot, userErrorOf } from '../helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-config-parse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  writeFileSync(path.join(dir, name), text);
  return name;
}


describe('inline JSON', () => {
  test('a value starting with { is parsed as JSON, surrounding spaces allowed', () => {
    expect(parseJSONOrFile('--config', ' {"lr": 0.001, "model": {"fcnet_hiddens": [64]}} ', dir)).toEqual({ lr: 0.001, model: { fcnet_hiddens: [64] } });
    expect(parseJSONOrFile('--stop', '{"training_iteration": 20}', dir)).toEqual({ training_iteration: 20 });
  });

  test('bad JSON names the flag, the column and the parser reason (Node omits the position for unexpected tokens)', () => {
    expect(userErrorOf(() => parseJSONOrFile('--config', '{"lr": }', dir)).message).toBe(
      `--config: invalid inline JSON at column 8: Unexpected token '}' (quote the whole value in single quotes and keys and strings in double quotes, e.g. --config '{"lr": 0.001}')`,
    );
    // what a shell leaves of --config {"lr":0.1} without single quotes
    expect(userErrorOf(() => parseJSONOrFile('--config', '{lr:0.1}', dir)).message).toMatch(/^--config: invalid inline JSON at column 2: Expected property name or '}'/);
    expect(userErrorOf(() => parseJSONOrFile('--stop', '{"training_iteration": 20', dir)).message).toMatch(
      /^--stop: invalid inline JSON at column 26: .*e\.g\. --stop '\{"lr": 0\.001\}'\)$/,
    );
    expect(userErrorOf(() => parseJSONOrFile('--stop', '{"a": 1} x', dir)).message).toMatch(/^--stop: invalid inline JSON at column 10: Unexpected non-whitespace character after JSON/);
  });

  test('multi-line inline JSON reports line and column', () => {
    expect(userErrorOf(() => parseJSONOrFile('--config', '{"lr": 0.1,\n "gamma": tru}', dir)).message).toMatch(
      /^--config: invalid inline JSON at line 2 column 14: Unexpected token '}'/,
    );
  });
});

describe('files', () => {
  test('.json, .yaml and .yml files relative to cwd', () => {
    write('a.json', '{"num_workers": 4}\n');
    write('b.yaml', 'num_workers: 4\nmodel:\n  fcnet_hiddens: [32, 32]\nlr: 5e-5\n');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    write('sub/c.yml', 'training_iteration: 3\n');
    expect(parseJSONOrFile('--config', 'a.json', dir)).toEqual({ num_workers: 4 });
    expect(parseJSONOrFile('--config', 'b.yaml', dir)).toEqual({ num_workers: 4, model: { fcnet_hiddens: [32, 32] }, lr: 5e-5 });
    expect(parseJSONOrFile('--stop', 'sub/c.yml', dir)).toEqual({ training_iteration: 3 });
    expect(parseJSONOrFile('--stop', path.join(dir, 'sub', 'c.yml'), '/')).toEqual({ training_iteration: 3 });
  });

  test("the repository's configs/ppo-cartpole.json resolves to a valid config", () => {
    const layer = readConfigLayer('--config', 'configs/ppo-cartpole.json', repoRoot);
    expect(layer.source).toBe('configs/ppo-cartpole.json');
    const config = resolvePPOConfig([layer]);
    expect(config).toMatchObject({ env: 'CartPole-v1', num_workers: 8, sgd_minibatch_size: 250, model: { fcnet_hiddens: [40, 20], fcnet_activation: 'tanh' } });
    expect(readConfigLayer('--config', '{"lr": 0.1}', repoRoot)).toEqual({ source: '--config', config: { lr: 0.1 } });
  });

  test('bad JSON in a file names the flag, the file and line:column', () => {
    write('bad.json', '{\n  "num_workers": 2,\n  "lr": 0.1,\n  "x": ]\n}\n');
    expect(userErrorOf(() => parseJSONOrFile('--config', 'bad.json', dir)).message).toBe("--config: bad.json:4:8: invalid JSON: Unexpected token ']'");
    write('comma.json', '{\n  "num_workers": 2,\n}\n');
    expect(userErrorOf(() => parseJSONOrFile('--config', 'comma.json', dir)).message).toBe(
      "--config: comma.json:3:1: invalid JSON: Expected double-quoted property name",
    );
    write('empty.json', '');
    expect(userErrorOf(() => parseJSONOrFile('--config', 'empty.json', dir)).message).toBe('--config: empty.json:1:1: invalid JSON: Unexpected end of JSON input');
  });

  test('a byte-order mark is not an error', () => {
    write('bom.json', '\uFEFF{"lr": 0.5}');
    expect(parseJSONOrFile('--config', 'bom.json', dir)).toEqual({ lr: 0.5 });
  });

  test('bad YAML names the file and line:column', () => {
    write('bad.yaml', 'num_workers: 2\nmodel: [1, 2\nlr: 3\n');
    expect(userErrorOf(() => parseJSONOrFile('--config', 'bad.yaml', dir)).message).toMatch(/^--config: bad\.yaml:3:1: invalid YAML: .+/);
    write('dup.yml', 'lr: 1\nnum_workers: 2\nlr: 2\n');
    expect(userErrorOf(() => parseJSONOrFile('--config', 'dup.yml', dir)).message).toBe('--config: dup.yml:3:1: invalid YAML: Map keys must be unique');
  });

  test('a missing file names the path as given and as resolved', () => {
    expect(userErrorOf(() => parseJSONOrFile('--config', 'configs/nope.json', dir)).message).toBe(
      `--config: file not found: configs/nope.json (${path.join(dir, 'configs/nope.json')}); pass inline JSON starting with '{' or the path of a .json, .yaml or .yml file`,
    );
    expect(userErrorOf(() => parseJSONOrFile('--stop', 'training_iteration=5', dir)).message).toMatch(/^--stop: file not found: training_iteration=5 /);
  });

  test('a directory, an unsupported extension, an empty value', () => {
    expect(userErrorOf(() => parseJSONOrFile('--config', 'sub', dir)).message).toBe(`--config: sub (${path.join(dir, 'sub')}) is a directory; pass a .json, .yaml or .yml file`);
    write('cfg.txt', '{}');
    expect(userErrorOf(() => parseJSONOrFile('--config', 'cfg.txt', dir)).message).toBe(
      "--config: cfg.txt is not a .json, .yaml or .yml file; rename it or pass inline JSON starting with '{'",
    );
    expect(userErrorOf(() => parseJSONOrFile('--config', '  ', dir)).message).toMatch(/^--config: empty value; /);
  });
});
