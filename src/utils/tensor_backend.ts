// Chooses tfjs's backend for the learner: tfjs-node (an optional dependency) when it loaded,
// otherwise the WASM backend (SIMD, one thread: wasm threads do not work under Node with tfjs
// 4.22), with tfjs's pure-JS 'cpu' backend available on request.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { UserError } from './errors.js';

export type BackendChoice = 'auto' | 'wasm' | 'cpu' | 'tensorflow';
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'wasm', 'cpu', 'tensorflow'];

let current: string | null = null;

async function tryTfjsNode(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-node' as string);
    return tf.findBackend('tensorflow') !== null;
  } catch {
    return false;
  }
}

/** Sets the backend once per process and returns its name ('wasm', 'cpu' or 'tensorflow'). */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<string> {
  if (current && (choice === 'auto' || choice === current)) return current;
  // PROD silences tfjs's "install tfjs-node" banner and skips debug checks.
  tf.env().set('PROD', true);
  let name: string = choice;
  if (choice === 'auto') name = (await tryTfjsNode()) ? 'tensorflow' : 'wasm';
  if (name === 'tensorflow' && !(await tryTfjsNode())) {
    throw new UserError('--backend tensorflow needs @tensorflow/tfjs-node, which is not installed here; use --backend wasm');
  }
  if (name === 'wasm') {
    const require = createRequire(import.meta.url);
    setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  // setBackend falls back silently on failure: check what we got.
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`could not initialise the tfjs '${name}' backend`);
  current = name;
  return name;
}
