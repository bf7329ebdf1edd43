// The HTTP face of a Router (fastify): POST /<deployment> with a JSON body (for a policy checkpoint
// {"observation": [...]} or {"observations": [[...], ...]}; for a model {"inputs": [...]}; for a
// module whatever it takes), the split under /-/routes, shadow traffic under /-/shadow, user_config
// under /-/deployments, /-/healthz and Prometheus /-/metrics (prom-client). Every bad request is
// answered with a JSON error, as is every error thrown by a version (500, counted per version);
// the server keeps serving. With an admin token (serve({adminToken})), every PUT needs
// `Authorization: Bearer <token>`.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import { RequestError, VersionError } from './errors.js';
import type { Router } from './router.js';
import { UserError, errorMessage } from '../utils/errors.js';
import { bearerMatches } from './admin_token.js';
import { isLoopback, reachableUrls, type BoundAddress } from './addresses.js';

export interface HttpOptions {
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

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
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const versionErrors = new Counter({ name: 'rl_serve_version_errors_total', help: 'Requests a version failed to answer (user code threw, a bad answer)', labelNames: ['deployment', 'version'], registers: [registry] });
  // Shadow traffic (mirrored requests whose answers are discarded): counted and timed apart, so a canary can be judged before it takes traffic.
  const shadowRequests = new Counter({ name: 'rl_serve_shadow_requests_total', help: 'Mirrored requests a shadow version answered', labelNames: ['deployment', 'version'], registers: [registry] });
  const shadowErrors = new Counter({ name: 'rl_serve_shadow_errors_total', help: 'Mirrored requests a shadow version failed', labelNames: ['deployment', 'version'], registers: [registry] });
  const shadowLatency = new Histogram({ name: 'rl_serve_shadow_duration_seconds', help: 'Shadow version latency', labelNames: ['deployment', 'version'], buckets: LATENCY_BUCKETS, registers: [registry] });
  router.onShadowResult(({ deployment, version, seconds, error }) => {
    (error ? shadowErrors : shadowRequests).inc({ deployment, version });
    shadowLatency.observe({ deployment, version }, seconds);
  });
  // Every deployment and version served has its series from the start, at 0: a scraper's first
  // sample is then a real starting count, so the rate of the requests that follow is known.
  for (const [name, versions] of Object.entries(router.routes())) {
    for (const version of Object.keys(versions)) for (const counter of [requests, versionErrors, shadowRequests, shadowErrors]) counter.labels(name, version).inc(0);
  }

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
    if (error instanceof VersionError) versionErrors.inc({ deployment: error.deployment, version: error.version });
    const status = error instanceof RequestError || error instanceof VersionError ? error.status : error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 413 : (error.statusCode ?? 500);
    errors.inc({ deployment, status: String(status) });
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    const message = status === 413 ? `the body is larger than the limit of ${bodyLimit} bytes` : status >= 500 && !(error instanceof VersionError || error instanceof RequestError) ? `internal error: ${error.message}` : error.message;
    return fail(reply, status, message);
  });
  app.setNotFoundHandler((request, reply) => fail(reply, 404, `no route ${request.method} ${request.url}; POST /<deployment>, GET /-/routes, PUT /-/routes/<deployment>, GET /-/shadow, PUT /-/shadow/<deployment>, PUT /-/deployments/<deployment>, GET /-/healthz, GET /-/metrics`));

  app.get('/-/healthz', async () => ({ status: 'ok', deployments: router.deploymentNames() }));
  app.get('/-/routes', async () => router.routes());
  // Checked before the body is read. A missing and a wrong token get the same answer.
  const adminToken = router.adminToken;
  const requireAdmin = (what: string) => async (request: FastifyRequest) => {
    if (adminToken !== undefined && !bearerMatches(adminToken, request.headers.authorization)) {
      throw new RequestError(401, `${request.method} ${what} needs the admin token: send the header 'Authorization: Bearer <token>'`);
    }
  };
  const objectBody = (body: unknown, example: string): Record<string, unknown> => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new RequestError(400, `the body must be an object ${example}`);
    return body as Record<string, unknown>;
  };
  app.put('/-/routes/:deployment', { onRequest: requireAdmin('/-/routes') }, async (request) => {
    const { deployment } = request.params as { deployment: string };
    await router.changeRoutes(deployment, objectBody(request.body, 'of version weights, e.g. {"checkpoint_20": 0.9, "checkpoint_40": 0.1}'));
    return router.routes()[deployment];
  });
  app.get('/-/shadow', async () => router.shadows());
  app.put('/-/shadow/:deployment', { onRequest: requireAdmin('/-/shadow') }, async (request) => {
    const { deployment } = request.params as { deployment: string };
    router.setShadows(deployment, objectBody(request.body, 'of the fractions of requests to mirror, e.g. {"checkpoint_40": 0.5}'));
    return router.shadows()[deployment];
  });
  app.put('/-/deployments/:deployment', { onRequest: requireAdmin('/-/deployments') }, async (request) => {
    const { deployment } = request.params as { deployment: string };
    const body = objectBody(request.body, 'such as {"user_config": {...}} or {"user_config": {...}, "version": "v2"}');
    const unknown = Object.keys(body).find((key) => key !== 'user_config' && key !== 'version');
    if (unknown !== undefined || !('user_config' in body)) throw new RequestError(400, `the body takes "user_config" (required) and "version" (optional)${unknown !== undefined ? `, not "${unknown}"` : ''}`);
    if (body.version !== undefined && typeof body.version !== 'string') throw new RequestError(400, '"version" must be the name of a version');
    return { reconfigured: await router.reconfigure(deployment, body.user_config, body.version as string | undefined) };
  });
  app.get('/-/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });

  app.post('/:deployment', async (request, reply) => {
    const start = process.hrtime.bigint();
    const { deployment } = request.params as { deployment: string };
    const pinned = request.headers['x-rl-version'];
    const { answer, version } = await router.dispatch(deployment, request.body ?? null, { version: typeof pinned === 'string' ? pinned : undefined });
    // Serialized here, so a handler's answer that is not JSON (undefined, a BigInt, a cycle) is its version's error.
    let json: string | undefined;
    try {
      json = JSON.stringify(answer);
    } catch (error) {
      throw new VersionError(deployment, version, error);
    }
    if (json === undefined) throw new VersionError(deployment, version, new Error(`it answered ${String(answer)}; return a JSON value`));
    requests.inc({ deployment, version });
    latency.observe({ deployment, version }, Number(process.hrtime.bigint() - start) / 1e9);
    return reply.header('x-rl-version', version).type('application/json; charset=utf-8').send(json);
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
