// tfjs (seconds to load) is imported when a trainer writes its first checkpoint, not when it
// starts or trains: the learner runs on the WebAssembly kernel. Checked in a fresh process,
// where tfjs's global engine (globalThis._tfengine) exists only once tfjs has been loaded.
import { expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers.js';

test('a trainer starts and trains without loading tfjs; its first checkpoint loads it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rl-lazy-tfjs-'));
  try {
    const trainer = pathToFileURL(path.join(repoRoot, 'dist', 'src', 'algorithms', 'ppo', 'trainer.js')).href;
    const config = pathToFileURL(path.join(repoRoot, 'dist', 'src', 'algorithms', 'ppo', 'defaults.js')).href;
    const script = `
      const { PPOTrainer } = await import(${JSON.stringify(trainer)});
      const { resolvePPOConfig } = await import(${JSON.stringify(config)});
      const loaded = () => globalThis._tfengine !== undefined;
      const t = await PPOTrainer.create(resolvePPOConfig([{ source: 'test', config: { env: 'CartPole-v1', num_workers: 0, train_batch_size: 200, sgd_minibatch_size: 50, num_sgd_iter: 1, seed: 1 } }]));
      const afterCreate = loaded();
      await t.train();
      const afterTrain = loaded();
      await t.save(${JSON.stringify(dir)});
      console.log(JSON.stringify({ afterCreate, afterTrain, afterSave: loaded(), backend: t.backend }));
      await t.stop();
    `;
    // a file, not --input-type=module -e: a process started that way cannot start file-based worker
    // threads (Node refuses the inherited --input-type), so the learner thread would fail
    const file = path.join(dir, 'lazy.mjs');
    writeFileSync(file, script);
    const result = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000 });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) as string)).toEqual({ afterCreate: false, afterTrain: false, afterSave: true, backend: 'wasm' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
