// Chooses tfjs's backend (tfjs writes and reads the LayersModel checkpoint files; the learner
// runs on the WebAssembly kernel in src/nn): tfjs-node (an optional dependency) when it loaded,
// otherwise the WASM backend (SIMD, one thread: wasm threads do not work under Node with tfjs
// 4.22), with tfjs's pure-JS 'cpu' backend available on request. tfjs is imported on the first
// initBackend(), not with this module: loading it takes seconds, and most runs need it only
// when they write a checkpoint.
import { createRequire } from 'node:module';
import path from 'node:path';
import { UserError } from './errors.js';

export type BackendChoice = 'auto' | 'wasm' | 'cpu' | 'tensorflow';
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'wasm', 'cpu', 'tensorflow'];

let current: string | null = null;

async function tryTfjsNode(tf: typeof import('@tensorflow/tfjs')): Promise<boolean> {
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
  const tf = await import('@tensorflow/tfjs');
  // PROD silences tfjs's "install tfjs-node" banner and skips debug checks.
  tf.env().set('PROD', true);
  let name: string = choice;
  if (choice === 'auto') name = (await tryTfjsNode(tf)) ? 'tensorflow' : 'wasm';
  if (name === 'tensorflow' && !(await tryTfjsNode(tf))) {
    throw new UserError('--backend tensorflow needs @tensorflow/tfjs-node, which is not installed here; use --backend wasm');
  }
  if (name === 'wasm') {
    const require = createRequire(import.meta.url);
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  // setBackend falls back silently on failure: check what we got.
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`could not initialise the tfjs '${name}' backend`);
  current = name;
  return name;
}
