// The HTTP face of a Router (fastify): POST /<deployment> with {"observation": [...]} or
// {"observations": [[...], ...]}, routes under /-/routes, /-/healthz and Prometheus /-/metrics
// (prom-client). Every bad request is answered with a JSON error; the server keeps serving.
// With an admin token (serve({adminToken})), writes to /-/routes need `Authorization: Bearer <token>`.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import { RequestError, type Router } from './router.js';
import { UserError, errorMessage } from '../utils/errors.js';
import { bearerMatches } from './admin_token.js';
import { isLoopback, reachableUrls, type BoundAddress } from './addresses.js';

export interface HttpOptions {
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
}

function fail(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).send({ error: message });
}

/** The metrics label of a deployment named in a URL: unknown names share '-', so /-/metrics stays bounded. */
function deploymentLabel(router: Router): (name: string | undefined) => string {
  const known = new Set(router.deploymentNames());
  return (name) => (name !== undefined && known.has(name) ? name : '-');
}

export function buildServer(router: Router, options: HttpOptions = {}): FastifyInstance {
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  if (!(Number.isInteger(bodyLimit) && bodyLimit > 0)) throw new UserError(`body limit must be a positive integer number of bytes, got ${bodyLimit}`);
  const app = Fastify({ bodyLimit });
  const label = deploymentLabel(router);
  const registry = new Registry();
  const requests = new Counter({ name: 'rl_serve_requests_total', help: 'Prediction requests answered', labelNames: ['deployment', 'version'], registers: [registry] });
  const errors = new Counter({ name: 'rl_serve_errors_total', help: 'Requests answered with an error', labelNames: ['deployment', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: 'rl_serve_request_duration_seconds',
    help: 'Prediction latency',
    labelNames: ['deployment', 'version'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  // Every deployment and version served has its series from the start, at 0: a scraper's first
  // sample is then a real starting count, so the rate of the requests that follow is known.
  for (const [name, versions] of Object.entries(router.routes())) for (const version of Object.keys(versions)) requests.labels(name, version).inc(0);

  // A body is JSON whatever its content type (curl -d sends application/x-www-form-urlencoded).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(new RequestError(400, `the body is not valid JSON (${errorMessage(error)})`), undefined);
    }
  });

  // Graceful shutdown: requests in flight when close() starts are answered with Connection: close,
  // so their keep-alive sockets end and close() can finish.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const deployment = label((request.params as { deployment?: string } | undefined)?.deployment);
    const status = error instanceof RequestError ? error.status : error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 413 : (error.statusCode ?? 500);
    errors.inc({ deployment, status: String(status) });
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    const message = status === 413 ? `the body is larger than the limit of ${bodyLimit} bytes` : status >= 500 ? `internal error: ${error.message}` : error.message;
    return fail(reply, status, message);
  });
  app.setNotFoundHandler((request, reply) => fail(reply, 404, `no route ${request.method} ${request.url}; POST /<deployment>, GET /-/routes, PUT /-/routes/<deployment>, GET /-/healthz, GET /-/metrics`));

  app.get('/-/healthz', async () => ({ status: 'ok', deployments: router.deploymentNames() }));
  app.get('/-/routes', async () => router.routes());
  // Checked before the body is read. A missing and a wrong token get the same answer.
  const adminToken = router.adminToken;
  const requireAdmin = async (request: FastifyRequest) => {
    if (adminToken !== undefined && !bearerMatches(adminToken, request.headers.authorization)) {
      throw new RequestError(401, `${request.method} /-/routes needs the admin token: send the header 'Authorization: Bearer <token>'`);
    }
  };
  app.put('/-/routes/:deployment', { onRequest: requireAdmin }, async (request) => {
    const { deployment } = request.params as { deployment: string };
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new RequestError(400, 'the body must be an object of version weights, e.g. {"checkpoint_20": 0.9, "checkpoint_40": 0.1}');
    router.setRoutes(deployment, body as Record<string, unknown>);
    return router.routes()[deployment];
  });
  app.get('/-/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });

  app.post('/:deployment', async (request) => {
    const start = process.hrtime.bigint();
    const { deployment } = request.params as { deployment: string };
    const body = request.body as Record<string, unknown> | undefined;
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new RequestError(400, 'the body must be a JSON object: {"observation": [...]} or {"observations": [[...], ...]}');
    }
    const pinned = request.headers['x-rl-version'];
    const options = { explore: body.explore === true, version: typeof pinned === 'string' ? pinned : undefined };
    if (body.explore !== undefined && typeof body.explore !== 'boolean') throw new RequestError(400, '"explore" must be true or false');
    let response: Record<string, unknown>;
    let version: string;
    if (Array.isArray(body.observation)) {
      const prediction = await router.predict(deployment, body.observation as number[], options);
      version = prediction.version;
      response = { action: prediction.action, version };
    } else if (Array.isArray(body.observations) && body.observations.length > 0 && body.observations.every(Array.isArray)) {
      const prediction = await router.predictBatch(deployment, body.observations as number[][], options);
      version = prediction.version;
      response = { actions: prediction.actions, version };
    } else {
      throw new RequestError(400, 'the body needs "observation": [numbers] or "observations": [[numbers], ...]');
    }
    requests.inc({ deployment, version });
    latency.observe({ deployment, version }, Number(process.hrtime.bigint() - start) / 1e9);
    return response;
  });
  return app;
}

export interface Listening {
  /** Where clients can reach the server (every interface's address for 0.0.0.0). */
  urls: string[];
  /** The addresses the socket is bound to, as the OS reports them. */
  bound: BoundAddress[];
  /** Whether anything beyond this machine can connect (some bound address is not loopback). */
  exposed: boolean;
}

/** Listens on host:port; a port in use is one clear UserError. */
export async function listen(app: FastifyInstance, port: number, host: string): Promise<Listening> {
  try {
    await app.listen({ port, host });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(`port ${port} is in use on ${host}: pass --port with a free port (or stop what is listening there)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new UserError(`cannot listen on host '${host}' (${code}): pass --host with an address of this machine, e.g. 127.0.0.1`);
    throw error;
  }
  const bound = app.addresses().filter((a): a is AddressInfo => typeof a !== 'string');
  return { urls: reachableUrls(bound), bound, exposed: bound.some((b) => !isLoopback(b.address)) };
}
