// `rl dashboard`: a local web page with the live learning curves of the runs under some folders.
// The page gets a snapshot of every run from /api/runs, then a new one over server-sent events
// (/api/events) whenever a progress.csv or experiment_state.json changes, found by polling;
// and, every second, the request rate and latency of the `rl serve` instances it was given.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { scan, type RunCache, type Snapshot } from './runs.js';
import { PlayRoom } from './play.js';
import { ServeWatcher, type ServeData } from './serve_metrics.js';
import { UserError } from '../utils/errors.js';

const require = createRequire(import.meta.url);
// The page's own files live in src/dashboard/public (plain browser JS, not compiled).
const publicDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'dashboard', 'public');

/** Files the page loads: its own and the charting library, served from node_modules (nothing from the internet). */
function assets(): Record<string, { file: string; type: string }> {
  const uplot = path.dirname(require.resolve('uplot/package.json'));
  const tfjs = path.dirname(require.resolve('@tensorflow/tfjs/package.json'));
  const js = 'text/javascript; charset=utf-8';
  return {
    '/play': { file: path.join(publicDir, 'play.html'), type: 'text/html; charset=utf-8' },
    '/play.js': { file: path.join(publicDir, 'play.js'), type: js },
    '/vendor/tf.min.js': { file: path.join(tfjs, 'dist', 'tf.min.js'), type: js },
    // the checkpoint's observation filter, the very module training used (it imports nothing)
    '/modules/filter.js': { file: fileURLToPath(new URL('../policy/filter.js', import.meta.url)), type: js },
    '/': { file: path.join(publicDir, 'index.html'), type: 'text/html; charset=utf-8' },
    '/app.js': { file: path.join(publicDir, 'app.js'), type: 'text/javascript; charset=utf-8' },
    '/app.css': { file: path.join(publicDir, 'app.css'), type: 'text/css; charset=utf-8' },
    '/vendor/uPlot.iife.min.js': { file: path.join(uplot, 'dist', 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
    '/vendor/uPlot.min.css': { file: path.join(uplot, 'dist', 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
  };
}

export interface DashboardOptions {
  roots: string[];
  /** How often to look for changed files; a new row shows within this plus the page's redraw. */
  pollMs?: number;
  /** Addresses of running `rl serve` instances whose /-/metrics to chart. */
  serve?: string[];
  servePollMs?: number;
}

/** Watches the roots and keeps the latest snapshot; listeners hear of every change. */
export class RunWatcher {
  private current: Snapshot;
  private lastSignature: string;
  private readonly listeners = new Set<(snapshot: Snapshot) => void>();
  private readonly timer: NodeJS.Timeout;
  private readonly cache: RunCache = new Map();

  constructor(
    private readonly roots: string[],
    pollMs: number,
  ) {
    this.current = scan(roots, this.cache);
    this.lastSignature = this.signatureOf(this.current);
    this.timer = setInterval(() => this.poll(), pollMs);
    this.timer.unref();
  }

  get snapshot(): Snapshot {
    return this.current;
  }

  private signatureOf(snapshot: Snapshot): string {
    // each run's stamp as it was read, and the experiments' content (experiment_state.json is small)
    const stamps = snapshot.runs.map((r) => `${r.id}:${this.cache.get(path.join(r.dir, 'progress.csv'))?.stamp}`);
    return `${stamps.join('\n')}\n${JSON.stringify(snapshot.experiments)}`;
  }

  poll(): void {
    const next = scan(this.roots, this.cache);
    const nextSignature = this.signatureOf(next);
    if (nextSignature === this.lastSignature) return;
    this.current = next;
    this.lastSignature = nextSignature;
    for (const listener of this.listeners) listener(next);
  }

  subscribe(listener: (snapshot: Snapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    clearInterval(this.timer);
    this.listeners.clear();
  }
}

export function buildDashboard(options: DashboardOptions): FastifyInstance {
  const watcher = new RunWatcher(options.roots, options.pollMs ?? 250);
  const app = Fastify();
  for (const [url, asset] of Object.entries(assets())) {
    app.get(url, async (_request, reply) => reply.type(asset.type).send(readFileSync(asset.file)));
  }
  app.get('/api/runs', async () => watcher.snapshot);

  const serveWatchers = (options.serve ?? []).map((url) => new ServeWatcher(url));
  const serveListeners = new Set<(data: ServeData[]) => void>();
  const serveTimer = setInterval(() => {
    void Promise.all(serveWatchers.map((w) => w.poll())).then(() => {
      for (const listener of serveListeners) listener(serveWatchers.map((w) => w.data));
    });
  }, options.servePollMs ?? 1000);
  serveTimer.unref();
  if (serveWatchers.length === 0) clearInterval(serveTimer);
  app.get('/api/serve', async () => serveWatchers.map((w) => w.data));

  const room = new PlayRoom(options.roots);
  app.setErrorHandler(async (error, _request, reply) => {
    if (error instanceof UserError) return reply.code(404).send({ error: error.message });
    throw error;
  });
  app.get('/api/checkpoints', async () => room.checkpoints().map(({ dir: _dir, manifest: _manifest, ...info }) => info));
  // TF.js loads model.json, then the weight files it names from the same folder.
  app.get<{ Params: { id: string; file: string } }>('/checkpoint-files/:id/policy/:file', async (request, reply) =>
    reply.type(request.params.file.endsWith('.json') ? 'application/json' : 'application/octet-stream').send(room.policyFile(request.params.id, request.params.file)),
  );
  app.post<{ Body: { checkpoint: string; seed: number } }>('/api/play', async (request) => room.start(String(request.body.checkpoint), Number(request.body.seed)));
  app.post<{ Params: { session: string }; Body: { action: number | number[]; frame?: boolean } }>('/api/play/:session/step', async (request) =>
    room.step(Number(request.params.session), request.body.action, request.body.frame !== false),
  );
  app.get('/api/events', (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (snapshot: Snapshot) => res.write(`data: ${JSON.stringify(snapshot)}\n\n`);
    const sendServe = (data: ServeData[]) => res.write(`event: serve\ndata: ${JSON.stringify(data)}\n\n`);
    send(watcher.snapshot);
    if (serveWatchers.length > 0) sendServe(serveWatchers.map((w) => w.data));
    const unsubscribe = watcher.subscribe(send);
    serveListeners.add(sendServe);
    request.raw.on('close', () => {
      unsubscribe();
      serveListeners.delete(sendServe);
    });
  });
  app.addHook('onClose', async () => {
    watcher.close();
    clearInterval(serveTimer);
  });
  // SSE connections stay open; closing the server ends them rather than waiting on them.
  app.addHook('preClose', async () => {
    app.server.closeAllConnections();
  });
  return app;
}
