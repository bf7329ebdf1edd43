// One replica of a served version (see replica_pool.ts): a worker thread that loads the version
// itself from the spec the user gave (a checkpoint, a model folder or the user's own module; the
// same spec the main thread would have loaded) and answers batches of request bodies. Each body is
// handed to the version's handle() on its own, so the version batches them as it does in-process
// and one bad body fails only its own request.
import { parentPort, workerData } from 'node:worker_threads';
import { UserError, errorMessage } from '../utils/errors.js';
import { RequestError } from './errors.js';
import { loadVersion } from './version.js';
import type { ReplicaReply, ReplicaRequest, ReplicaSetup, ItemResult } from './replica_pool.js';

const setup = workerData as ReplicaSetup;
const port = parentPort!;

function failure(error: unknown): ItemResult {
  return error instanceof RequestError ? { error: errorMessage(error), status: error.status } : { error: errorMessage(error) };
}

/** Posts a reply; an answer the thread cannot send (a function, a class instance with private state) fails only its own item. */
function send(reply: ReplicaReply): void {
  try {
    port.postMessage(reply);
  } catch (error) {
    if (reply.type !== 'answers') throw error;
    const results = reply.results.map((result): ItemResult => {
      try {
        structuredClone(result);
        return result;
      } catch (cloneError) {
        return { error: `its answer cannot be passed between threads (${errorMessage(cloneError)}); return a JSON value` };
      }
    });
    port.postMessage({ ...reply, results });
  }
}

try {
  const loaded = await loadVersion(setup.spec, setup.deployment, setup.defaults, setup.seed);
  const { served } = loaded;
  port.on('message', (request: ReplicaRequest) => {
    if (request.type === 'batch') {
      void Promise.all(
        request.bodies.map((body) =>
          served.handle(body).then(
            (value): ItemResult => ({ value }),
            (error: unknown) => failure(error),
          ),
        ),
      ).then((results) => send({ type: 'answers', id: request.id, results }));
    } else {
      served.reconfigure!(request.userConfig).then(
        () => send({ type: 'reconfigured', id: request.id }),
        (error: unknown) => send({ type: 'reconfigured', id: request.id, error: errorMessage(error) }),
      );
    }
  });
  send({ type: 'ready', name: loaded.name, kind: served.kind, observationSize: loaded.observationSize, source: loaded.source, reconfigurable: served.reconfigure !== undefined });
} catch (error) {
  send({ type: 'failed', message: errorMessage(error), userError: error instanceof UserError });
}
