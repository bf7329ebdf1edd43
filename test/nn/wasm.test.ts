// A checkout built without the kernel (tsc alone, or a failed `npm run build:kernel`) gets one
// line naming the missing file and the command that makes it, not ENOENT from readFileSync.
import { afterAll, expect, test } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-wasm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a missing dense.wasm is one error naming its path and npm run build', async () => {
  // the compiled loader on its own, beside no kernel/ directory (it imports only node: modules)
  const compiledLoader = fileURLToPath(new URL('../../src/nn/wasm.js', import.meta.url));
  mkdirSync(path.join(dir, 'nn'));
  const loader = path.join(dir, 'nn', 'wasm.js');
  copyFileSync(compiledLoader, loader);
  const { instantiateKernel } = (await import(pathToFileURL(loader).href)) as typeof import('../../src/nn/wasm.js');
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  expect(() => instantiateKernel(memory)).toThrow(
    new Error(`the dense-layer kernel ${path.join(dir, 'nn', 'kernel', 'dense.wasm')} is missing: run npm run build`),
  );
});

test('the built kernel loads and its exports work on the given memory', async () => {
  const { instantiateKernel } = await import('../../src/nn/wasm.js');
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const kernel = instantiateKernel(memory);
  const floats = new Float32Array(memory.buffer, 0, 8);
  floats.set([1, 2, 3, 4, 10, 20, 30, 40]);
  kernel.add_into(0, 16, 4); // floats 0..3 += floats 4..7
  expect(Array.from(floats.subarray(0, 4))).toEqual([11, 22, 33, 44]);
});
