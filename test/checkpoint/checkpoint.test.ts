import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  CHECKPOINT_FORMAT_VERSION,
  dirWeightReader,
  layersModelLoadHandler,
  listCheckpoints,
  loadCheckpoint,
  MAX_JSON_BYTES,
  pruneCheckpoints,
  resolveCheckpointPath,
  saveCheckpoint,
  type CheckpointContent,
} from '../../src/checkpoint/index.js';
import { UserError } from '../../src/utils/errors.js';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-checkpoint-test-'));
  tempDirs.push(dir);
  return dir;
}

beforeAll(async () => {
  // PROD silences tfjs's "looks like you are running TensorFlow.js in Node.js" banner (printed by the cpu backend).
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function policyModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 8, inputShape: [4], activation: 'tanh' }));
  model.add(tf.layers.dense({ units: 2 }));
  return model;
}

function valueModel(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const hidden = tf.layers.dense({ units: 6, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 1 }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

function content(iteration: number, models: Record<string, tf.LayersModel> = {}, extra: Partial<CheckpointContent> = {}): CheckpointContent {
  return {
    manifest: {
      algorithm: 'PPO',
      env: 'CartPole-v1',
      config: { lr: 5e-5, model: { fcnet_hiddens: [8] } },
      iteration,
      timesteps_total: iteration * 4000,
      time_total_s: iteration * 1.5,
      metrics: { episode_reward_mean: 20 + iteration },
      filter: { type: 'MeanStdFilter', n: 3, mean: [0.5, -1] },
      state: { kl_coeff: 0.2, seed: 7 },
    },
    models,
    ...extra,
  };
}

function weightsOf(model: tf.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

function predict(model: tf.LayersModel, input: tf.Tensor): number[] {
  return Array.from((model.predict(input) as tf.Tensor).dataSync());
}

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** All files under dir, relative, '/'-separated, sorted. */
function filesUnder(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an exception');
}

/** A checkpoint dir holding only a manifest file: enough for listing, resolving and pruning. */
function fakeCheckpoint(root: string, iteration: number): string {
  const dir = path.join(root, `checkpoint_${iteration}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `checkpoint-${iteration}`), '{}');
  return dir;
}

describe('saveCheckpoint / loadCheckpoint', () => {
  test('round-trips two dense models: equal weights, equal predictions, and the manifest', async () => {
    const root = path.join(tempDir(), 'checkpoints');
    const policy = policyModel();
    const value = valueModel();
    const manifestPath = await saveCheckpoint(root, 3, content(3, { policy, value }));
    expect(manifestPath).toBe(path.join(root, 'checkpoint_3', 'checkpoint-3'));

    const loaded = await loadCheckpoint(manifestPath);
    expect(loaded.dir).toBe(path.join(root, 'checkpoint_3'));
    const m = loaded.manifest;
    expect(m.format_version).toBe(CHECKPOINT_FORMAT_VERSION);
    expect(m).toMatchObject({ algorithm: 'PPO', env: 'CartPole-v1', iteration: 3, timesteps_total: 12000, time_total_s: 4.5 });
    expect(m.config).toEqual({ lr: 5e-5, model: { fcnet_hiddens: [8] } });
    expect(m.metrics).toEqual({ episode_reward_mean: 23 });
    expect(m.filter).toEqual({ type: 'MeanStdFilter', n: 3, mean: [0.5, -1] });
    expect(m.state).toEqual({ kl_coeff: 0.2, seed: 7 });
    expect(m.models).toEqual(['policy', 'value']);
    expect(Object.keys(m.files).sort()).toEqual(['policy/model.json', 'policy/weights.bin', 'value/model.json', 'value/weights.bin']);
    expect(Number.isNaN(Date.parse(m.created_at))).toBe(false);

    const input = tf.tensor2d([0.1, -0.2, 0.3, 0.4, 1, 2, -3, 0.5], [2, 4]);
    for (const [name, original] of [['policy', policy], ['value', value]] as const) {
      const restored = await loadCheckpoint(manifestPath).then((c) => c.loadModel(name));
      expect(restored).not.toBe(original);
      expect(weightsOf(restored)).toEqual(weightsOf(original));
      expect(predict(restored, input)).toEqual(predict(original, input));
    }
    const other = await loaded.loadModel('policy');
    // A fresh model: training it does not touch the one loaded before.
    other.setWeights(other.getWeights().map((w) => tf.zerosLike(w)));
    expect(weightsOf(await loaded.loadModel('policy'))).toEqual(weightsOf(policy));

    const unknown = await rejection(loaded.loadModel('critic'));
    expect(unknown).toBeInstanceOf(UserError);
    expect(unknown.message).toMatch(/has no model 'critic': it has models policy, value/);
  });

  test('round-trips arrays, each in its own buffer, with its layout in the manifest', async () => {
    const root = tempDir();
    const optimizer = [new Float32Array([1.5, -2, 3e-8]), new Float32Array(0), new Float32Array([42]), Float32Array.from({ length: 1000 }, (_, i) => i / 7)];
    const manifestPath = await saveCheckpoint(root, 1, content(1, { policy: policyModel() }, { arrays: { optimizer, extra: [new Float32Array([9, 8])] } }));
    expect(fs.statSync(path.join(root, 'checkpoint_1', 'optimizer.bin')).size).toBe(4 * 1004);

    const loaded = await loadCheckpoint(manifestPath);
    expect(loaded.manifest.arrays.optimizer).toEqual({ file: 'optimizer.bin', lengths: [3, 0, 1, 1000] });
    expect(loaded.manifest.files['optimizer.bin']).toBe(sha256File(path.join(root, 'checkpoint_1', 'optimizer.bin')));
    const arrays = loaded.loadArrays('optimizer');
    expect(arrays).toEqual(optimizer);
    for (const a of arrays) {
      expect(a).toBeInstanceOf(Float32Array);
      expect(a.byteOffset).toBe(0);
      expect(a.buffer.byteLength).toBe(a.byteLength); // transferable on its own
    }
    arrays[0][0] = 99;
    expect(loaded.loadArrays('optimizer')[0][0]).toBe(1.5);
    expect(loaded.loadArrays('extra')).toEqual([new Float32Array([9, 8])]);

    const unknown = thrown(() => loaded.loadArrays('adam'));
    expect(unknown).toBeInstanceOf(UserError);
    expect(unknown.message).toMatch(/has no arrays 'adam': it has arrays optimizer, extra/);
  });

  test('writes valid TF.js LayersModel files, with every file hashed in the manifest', async () => {
    const root = tempDir();
    const policy = policyModel();
    const manifestPath = await saveCheckpoint(root, 2, content(2, { policy }));
    const dir = path.dirname(manifestPath);
    expect(filesUnder(dir)).toEqual(['checkpoint-2', 'policy/model.json', 'policy/weights.bin']);

    const modelJSON = JSON.parse(fs.readFileSync(path.join(dir, 'policy', 'model.json'), 'utf8'));
    expect(modelJSON.format).toBe('layers-model');
    expect(modelJSON.generatedBy).toMatch(/^TensorFlow\.js tfjs-layers v/);
    expect(modelJSON).toHaveProperty('convertedBy', null);
    expect(modelJSON.modelTopology.class_name).toBe('Sequential');
    expect(modelJSON.weightsManifest).toHaveLength(1);
    const [group] = modelJSON.weightsManifest;
    expect(group.paths).toEqual(['weights.bin']);
    const specs = group.weights as { name: string; shape: number[]; dtype: string }[];
    expect(specs.map((s) => s.shape)).toEqual([[4, 8], [8], [8, 2], [2]]);
    expect(specs.every((s) => s.dtype === 'float32')).toBe(true);
    const expectedBytes = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
    expect(fs.statSync(path.join(dir, 'policy', group.paths[0])).size).toBe(expectedBytes);

    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    for (const rel of ['policy/model.json', 'policy/weights.bin']) {
      expect(manifest.files[rel]).toBe(sha256File(path.join(dir, rel)));
    }
    // Loadable straight from the files by tfjs, as tf.loadLayersModel('file://.../model.json') would.
    const raw = await tf.loadLayersModel(layersModelLoadHandler(modelJSON, dirWeightReader(path.join(dir, 'policy'))));
    expect(weightsOf(raw)).toEqual(weightsOf(policy));
  });

  test('refuses a truncated weights file by its size, before reading it, naming the file', async () => {
    const root = tempDir();
    const manifestPath = await saveCheckpoint(root, 20, content(20, { policy: policyModel(), value: valueModel() }));
    const weights = path.join(root, 'checkpoint_20', 'policy', 'weights.bin');
    const size = fs.statSync(weights).size;
    fs.truncateSync(weights, size - 4);
    const error = await rejection(loadCheckpoint(manifestPath));
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain(weights); // the temp dir is outside the cwd: shown absolute
    expect(error.message).toMatch(new RegExp(`is damaged: it holds ${size - 4} bytes; the weights .*model\\.json declares needs ${size}$`));
    expect(error.message).not.toContain('\n');
  });

  test('refuses a weights file whose bytes changed, naming it relative to the cwd', async () => {
    const cwd = tempDir();
    const root = path.join(cwd, 'checkpoints');
    await saveCheckpoint(root, 20, content(20, { policy: policyModel(), value: valueModel() }));
    const weights = path.join(root, 'checkpoint_20', 'policy', 'weights.bin');
    const bytes = fs.readFileSync(weights);
    bytes[0] ^= 1;
    fs.writeFileSync(weights, bytes);
    const previous = process.cwd();
    process.chdir(cwd);
    try {
      const relative = await rejection(loadCheckpoint('checkpoints/checkpoint_20/checkpoint-20'));
      expect(relative.message).toBe('checkpoint checkpoints/checkpoint_20/policy/weights.bin is damaged: its sha256 does not match the manifest');
    } finally {
      process.chdir(previous);
    }
  });

  test('refuses a weights file that is a symbolic link (to /dev/zero) without reading from it', async () => {
    const root = tempDir();
    const manifestPath = await saveCheckpoint(root, 3, content(3, { policy: policyModel() }));
    const weights = path.join(root, 'checkpoint_3', 'policy', 'weights.bin');
    fs.rmSync(weights);
    fs.symlinkSync('/dev/zero', weights);
    const error = await rejection(loadCheckpoint(manifestPath));
    expect(error.message).toBe(`checkpoint ${weights} is not a regular file (a symbolic link): a checkpoint holds only its own files`);
  });

  test('refuses a listed file that is a FIFO, and a huge manifest, before reading them', async () => {
    const root = tempDir();
    const manifestPath = await saveCheckpoint(root, 3, content(3, { policy: policyModel() }));
    const weights = path.join(root, 'checkpoint_3', 'policy', 'weights.bin');
    fs.rmSync(weights);
    const mkfifo = spawnSync('mkfifo', [weights]);
    expect(mkfifo.status).toBe(0);
    const fifo = await rejection(loadCheckpoint(manifestPath));
    expect(fifo.message).toMatch(/weights\.bin is not a regular file \(a device, directory or pipe\)/);

    const big = path.join(root, 'checkpoint-9');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, MAX_JSON_BYTES + 1); // sparse: no bytes written
    const error = await rejection(loadCheckpoint(big));
    expect(error.message).toMatch(/is not a checkpoint manifest: it holds 67108865 bytes/);
  });

  test('a manifest edited after it was written is refused; re-indenting it is not an edit', async () => {
    const root = tempDir();
    const manifestPath = await saveCheckpoint(root, 2, content(2, { policy: policyModel() }));
    const original = fs.readFileSync(manifestPath, 'utf8');
    const parsed = JSON.parse(original);
    expect(parsed.manifest_sha256).toMatch(/^[0-9a-f]{64}$/);
    fs.writeFileSync(manifestPath, JSON.stringify(parsed)); // same content, other layout
    await expect(loadCheckpoint(manifestPath)).resolves.toBeDefined();
    for (const edit of [
      (m: Record<string, any>) => (m.env = './checkpoints/checkpoint_1/env.js'),
      (m: Record<string, any>) => (m.config.lr = -1),
      (m: Record<string, any>) => (m.state.kl_coeff = 0.5),
    ]) {
      const changed = JSON.parse(original);
      edit(changed);
      fs.writeFileSync(manifestPath, JSON.stringify(changed, null, 2));
      const error = await rejection(loadCheckpoint(manifestPath));
      expect(error.message).toBe(`checkpoint ${manifestPath} is damaged: its manifest was changed after it was written (manifest_sha256 does not match)`);
    }
  });

  test('refuses a checkpoint with a listed file missing', async () => {
    const root = tempDir();
    const manifestPath = await saveCheckpoint(root, 4, content(4, { value: valueModel() }));
    fs.rmSync(path.join(root, 'checkpoint_4', 'value', 'model.json'));
    const error = await rejection(loadCheckpoint(manifestPath));
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain(path.join(root, 'checkpoint_4', 'value', 'model.json'));
    expect(error.message).toContain('is missing');
  });

  test('refuses a manifest that is not JSON', async () => {
    const root = tempDir();
    const manifestPath = await saveCheckpoint(root, 7, content(7, { policy: policyModel() }));
    fs.writeFileSync(manifestPath, '{"format_version": 1, "algorithm": "PPO",');
    const error = await rejection(loadCheckpoint(manifestPath));
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(new RegExp(`^checkpoint ${manifestPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged: its manifest is not valid JSON`));
    expect(error.message).not.toContain('\n');
  });

  test('refuses a newer format_version, and a manifest with a field of the wrong type', async () => {
    const root = tempDir();
    const manifestPath = await saveCheckpoint(root, 8, content(8, { policy: policyModel() }));
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    fs.writeFileSync(manifestPath, JSON.stringify({ ...manifest, format_version: CHECKPOINT_FORMAT_VERSION + 1 }));
    const newer = await rejection(loadCheckpoint(manifestPath));
    expect(newer).toBeInstanceOf(UserError);
    expect(newer.message).toContain(`has format version ${CHECKPOINT_FORMAT_VERSION + 1}, newer than this rl reads (up to ${CHECKPOINT_FORMAT_VERSION})`);

    fs.writeFileSync(manifestPath, JSON.stringify({ ...manifest, files: { ...manifest.files, '../escape': manifest.files['policy/model.json'] } }));
    const escape = await rejection(loadCheckpoint(manifestPath));
    expect(escape.message).toContain("lists a file outside the checkpoint ('../escape')");

    fs.writeFileSync(manifestPath, JSON.stringify(manifest));
    await expect(loadCheckpoint(manifestPath)).resolves.toBeDefined(); // restored: loads again
  });

  test('a failed save leaves the previous checkpoint intact and no temp dir behind', async () => {
    const root = tempDir();
    const policy = policyModel();
    const manifestPath = await saveCheckpoint(root, 5, content(5, { policy }));
    const before = fs.readFileSync(manifestPath, 'utf8');
    const good = policyModel();
    // Writes its files into the temp dir, then fails (like a disk filling up halfway).
    const failing = {
      save: async (handler: tf.io.IOHandler) => {
        await good.save(handler);
        throw new Error('disk full');
      },
    } as unknown as tf.LayersModel;

    const replace = content(5, { policy: good, value: failing });
    replace.manifest.metrics = { episode_reward_mean: -1 };
    const error = await rejection(saveCheckpoint(root, 5, replace));
    expect(error.message).toBe('disk full');
    expect(fs.readdirSync(root)).toEqual(['checkpoint_5']);
    expect(fs.readFileSync(manifestPath, 'utf8')).toBe(before);
    const loaded = await loadCheckpoint(manifestPath);
    expect(loaded.manifest.metrics).toEqual({ episode_reward_mean: 25 });
    expect(weightsOf(await loaded.loadModel('policy'))).toEqual(weightsOf(policy));

    // A failure on a new iteration leaves nothing either.
    await expect(saveCheckpoint(root, 6, content(6, { value: failing }))).rejects.toThrow('disk full');
    expect(fs.readdirSync(root)).toEqual(['checkpoint_5']);

    // A successful save replaces the old checkpoint whole: nothing of it is left over.
    await saveCheckpoint(root, 5, content(5, { other: good }));
    expect(fs.readdirSync(root)).toEqual(['checkpoint_5']);
    expect(filesUnder(path.join(root, 'checkpoint_5'))).toEqual(['checkpoint-5', 'other/model.json', 'other/weights.bin']);
    expect(weightsOf(await (await loadCheckpoint(manifestPath)).loadModel('other'))).toEqual(weightsOf(good));
  });

  test('refuses bad names and an iteration that disagrees with the manifest, writing nothing', async () => {
    const root = tempDir();
    await expect(saveCheckpoint(root, 1, content(1, { '../x': policyModel() }))).rejects.toThrow(/model name '..\/x' cannot be saved/);
    await expect(saveCheckpoint(root, 2, content(1))).rejects.toThrow(/does not match/);
    expect(fs.existsSync(root) ? fs.readdirSync(root) : []).toEqual([]);
  });
});

describe('resolveCheckpointPath', () => {
  test('accepts the manifest, its directory, bare names, latest and dir/latest', async () => {
    const cwd = tempDir();
    const root = path.join(cwd, 'checkpoints');
    const m10 = await saveCheckpoint(root, 10, content(10));
    const m20 = await saveCheckpoint(root, 20, content(20));
    fakeCheckpoint(path.join(cwd, 'runs'), 3);
    const m7 = path.join(fakeCheckpoint(path.join(cwd, 'runs'), 7), 'checkpoint-7');

    expect(resolveCheckpointPath(m20, cwd)).toBe(m20);
    expect(resolveCheckpointPath('checkpoints/checkpoint_20/checkpoint-20', cwd)).toBe(m20);
    expect(resolveCheckpointPath('checkpoints/checkpoint_10', cwd)).toBe(m10);
    expect(resolveCheckpointPath('checkpoints/checkpoint_10/', cwd)).toBe(m10);
    expect(resolveCheckpointPath(path.dirname(m10), cwd)).toBe(m10);
    expect(resolveCheckpointPath('checkpoint-20', cwd)).toBe(m20);
    expect(resolveCheckpointPath('checkpoint_10', cwd)).toBe(m10);
    expect(resolveCheckpointPath('latest', cwd)).toBe(m20);
    expect(resolveCheckpointPath('runs/latest', cwd)).toBe(m7);
    expect(resolveCheckpointPath(path.join(cwd, 'runs', 'latest'), '/')).toBe(m7);
    expect(resolveCheckpointPath('runs/checkpoint-3', cwd)).toBe(path.join(cwd, 'runs', 'checkpoint_3', 'checkpoint-3'));

    // loadCheckpoint accepts the same forms.
    const previous = process.cwd();
    process.chdir(cwd);
    try {
      expect((await loadCheckpoint('checkpoint-10')).manifest.iteration).toBe(10);
      expect((await loadCheckpoint('latest')).manifestPath).toBe(fs.realpathSync(m20));
    } finally {
      process.chdir(previous);
    }
  });

  test('a missing checkpoint names the ones nearby', () => {
    const cwd = tempDir();
    fakeCheckpoint(path.join(cwd, 'checkpoints'), 10);
    fakeCheckpoint(path.join(cwd, 'checkpoints'), 20);
    const expected = 'no checkpoint at checkpoints/checkpoint_21; found checkpoint_10, checkpoint_20 in checkpoints/';
    for (const arg of ['checkpoint-21', 'checkpoint_21', 'checkpoints/checkpoint_21', 'checkpoints/checkpoint-21']) {
      const error = thrown(() => resolveCheckpointPath(arg, cwd));
      expect(error).toBeInstanceOf(UserError);
      expect(error.message).toBe(expected);
    }
    expect(thrown(() => resolveCheckpointPath('runs/latest', cwd)).message).toBe('no checkpoint to take as latest: runs/ does not exist');
    expect(thrown(() => resolveCheckpointPath('nothing/here.json', cwd)).message).toBe('no checkpoint at nothing/here.json; nothing/ does not exist');
    const rootGiven = thrown(() => resolveCheckpointPath('checkpoints', cwd));
    expect(rootGiven).toBeInstanceOf(UserError);
    expect(rootGiven.message).toBe('checkpoints is a directory of checkpoints, not a checkpoint: found checkpoint_10, checkpoint_20 in checkpoints/; name one, or use checkpoints/latest');

    const empty = tempDir();
    fs.mkdirSync(path.join(empty, 'checkpoints'));
    expect(thrown(() => resolveCheckpointPath('latest', empty)).message).toBe('no checkpoint to take as latest: checkpoints/ holds no checkpoints');

    // An incomplete checkpoint dir (no manifest) is not a checkpoint.
    fs.mkdirSync(path.join(cwd, 'checkpoints', 'checkpoint_30'));
    expect(thrown(() => resolveCheckpointPath('checkpoint-30', cwd)).message).toMatch(/^no checkpoint at checkpoints\/checkpoint_30: it has no manifest checkpoint-30/);
  });

  test('lists at most five checkpoints, the nearest to the one asked for', () => {
    const cwd = tempDir();
    for (const it of [1, 2, 3, 4, 5, 6, 7, 8, 50]) fakeCheckpoint(path.join(cwd, 'checkpoints'), it);
    expect(thrown(() => resolveCheckpointPath('checkpoint-45', cwd)).message).toBe(
      'no checkpoint at checkpoints/checkpoint_45; found checkpoint_5, checkpoint_6, checkpoint_7, checkpoint_8, checkpoint_50 in checkpoints/ (9 in all)',
    );
  });
});

describe('listCheckpoints / pruneCheckpoints', () => {
  test('lists complete checkpoints by iteration, ignoring temp and incomplete dirs', () => {
    const root = tempDir();
    for (const it of [10, 9, 100]) fakeCheckpoint(root, it);
    fs.mkdirSync(path.join(root, 'checkpoint_11')); // no manifest
    fs.mkdirSync(path.join(root, '.tmp-checkpoint_12-abc'));
    fs.writeFileSync(path.join(root, 'checkpoint_13'), 'a file');
    const listed = listCheckpoints(root);
    expect(listed.map((c) => c.iteration)).toEqual([9, 10, 100]);
    expect(listed[0]).toEqual({ iteration: 9, dir: path.join(root, 'checkpoint_9'), manifestPath: path.join(root, 'checkpoint_9', 'checkpoint-9') });
    expect(listCheckpoints(path.join(root, 'missing'))).toEqual([]);
  });

  test('keeps the newest `keep`, never deleting protected ones', () => {
    const root = tempDir();
    for (const it of [1, 2, 3, 4, 5]) fakeCheckpoint(root, it);
    fs.mkdirSync(path.join(root, 'checkpoint_0')); // incomplete: not a checkpoint, not touched
    const deleted = pruneCheckpoints(root, 2, [path.join(root, 'checkpoint_1'), path.join(root, 'checkpoint_3', 'checkpoint-3')]);
    expect(deleted).toEqual([path.join(root, 'checkpoint_2')]);
    expect(listCheckpoints(root).map((c) => c.iteration)).toEqual([1, 3, 4, 5]);
    expect(fs.existsSync(path.join(root, 'checkpoint_0'))).toBe(true);

    expect(pruneCheckpoints(root, 1)).toEqual([1, 3, 4].map((it) => path.join(root, `checkpoint_${it}`)));
    expect(listCheckpoints(root).map((c) => c.iteration)).toEqual([5]);
    expect(pruneCheckpoints(root, 10)).toEqual([]);
    expect(() => pruneCheckpoints(root, 0)).toThrow(RangeError);
    expect(listCheckpoints(root).map((c) => c.iteration)).toEqual([5]);
  });
});
