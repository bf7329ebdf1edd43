/// <reference lib="dom" />
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser, Page } from 'puppeteer-core';
import type { FastifyInstance } from 'fastify';
import { buildDashboard } from '../../src/dashboard/server.js';
import { runTune } from '../../src/tune/runner.js';
import type { TuneExperiment } from '../../src/tune/experiment.js';
import { repoRoot, rl, userErrorOf } from '../helpers.js';
import { resolveRoots } from '../../src/dashboard/runs.js';
import { CheckpointPolicy } from '../../src/policy/checkpoint_policy.js';
import { replayPolicy } from '../../src/execution/policy_replay.js';
import { serve } from '../../src/serve/router.js';
import { buildServer } from '../../src/serve/http.js';
import { hasChromium, launchBrowser } from '../browser.js';

const trainable = path.join(repoRoot, 'test', 'fixtures', 'trainables', 'quadratic.js');
const small = JSON.stringify({
  num_workers: 1,
  train_batch_size: 200,
  rollout_fragment_length: 100,
  sgd_minibatch_size: 100,
  num_sgd_iter: 4,
  lr: 0.003,
  observation_filter: 'MeanStdFilter',
  model: { fcnet_hiddens: [16] },
});

/** ray_results/ with a real `rl train` run and a real Tune experiment (quadratic trainable, 2 trials, one damaged). */
async function makeResults(): Promise<string> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'rl-dash-'));
  const results = path.join(root, 'ray_results');
  const train = rl(['train', '--env', 'CartPole-v1', '--config', small, '--seed', '3', '--stop', '{"training_iteration": 3}', '--checkpoint-dir', path.join(results, 'cartpole')]);
  if (train.code !== 0) throw new Error(train.stderr);
  const experiment: TuneExperiment = {
    name: 'grid', run: trainable, stop: { training_iteration: 5 }, num_samples: 1, metric: 'score', mode: 'max', local_dir: results, scheduler: null,
    max_concurrent_trials: 1, checkpoint_freq: 0, checkpoint_at_end: false, keep_checkpoints_num: null, max_failures: 0, parameter_columns: {}, seed: 0, source: 'test',
    config: { x: { grid_search: [1, 2, 3] } },
  };
  await runTune(experiment, { cpus: 1 });
  // the third trial's progress.csv gets a row with a missing cell
  appendFileSync(path.join(results, 'grid', 'quadratic_00002', 'progress.csv'), '6,1.5\n');
  return root;
}

function csvRows(file: string): number {
  return readFileSync(file, 'utf8').trim().split('\n').length - 1;
}

if (hasChromium('rl dashboard')) {
  describe('rl dashboard in headless Chromium', () => {
    let root = '';
    let app: FastifyInstance;
    let browser: { browser: Browser; close: () => Promise<void> };
    let page: Page;
    let address = '';
    let serveApp: FastifyInstance;
    let serveAddress = '';
    const errors: string[] = [];

    beforeAll(async () => {
      root = await makeResults();
      // a running rl serve of the trained checkpoint, whose /-/metrics the dashboard charts
      const router = await serve({ deployments: [{ name: 'cp', versions: [{ checkpoint: path.join(root, 'ray_results', 'cartpole', 'checkpoint_3') }] }] });
      serveApp = buildServer(router);
      serveAddress = await serveApp.listen({ port: 0, host: '127.0.0.1' });
      app = buildDashboard({ roots: [path.join(root, 'ray_results')], serve: [serveAddress], servePollMs: 200 });
      address = await app.listen({ port: 0, host: '127.0.0.1' });
      browser = await launchBrowser();
      page = await browser.browser.newPage();
      await page.setViewport({ width: 1240, height: 1100 });
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(String(error)));
      page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`));
      await page.goto(address, { waitUntil: 'load' });
      await page.waitForFunction(() => (window as unknown as { rlDashboard: { updates: number } }).rlDashboard.updates > 0);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await app?.close();
      await serveApp?.close();
    });

    const points = (runId: string, column: string) =>
      page.evaluate((r, c) => (window as unknown as { rlDashboard: { points: (r: string, c: string) => number } }).rlDashboard.points(r, c), runId, column);

    test('the page loads with no console errors; each curve has a point a progress.csv row', async () => {
      const trainCsv = path.join(root, 'ray_results', 'cartpole', 'progress.csv');
      expect(csvRows(trainCsv)).toBe(3);
      expect(await points('ray_results/cartpole', 'episode_reward_mean')).toBe(3);
      expect(await points('ray_results/cartpole', 'info/learner/kl')).toBe(3);
      // trials of a function trainable get their metrics' curves, overlaid
      expect(await points('ray_results/grid/quadratic_00000', 'score')).toBe(5);
      expect(await points('ray_results/grid/quadratic_00001', 'score')).toBe(5);
      expect(errors).toEqual([]);
      // README's screenshot (UPDATE_SCREENSHOTS=1), before the test below appends a made-up row
      const shot = path.join(root, 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      if (process.env.UPDATE_SCREENSHOTS === '1') {
        mkdirSync(path.join(repoRoot, 'docs'), { recursive: true });
        copyFileSync(shot, path.join(repoRoot, 'docs', 'dashboard.png'));
      }
    });

    test('the Tune table shows each trial with its status and parameters; a damaged run is marked unreadable, the others show', async () => {
      const rows = await page.$$eval('#experiments tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
      expect(rows.map((r) => r.slice(0, 4))).toEqual([
        ['quadratic_00000', 'TERMINATED', '1', '5'],
        ['quadratic_00001', 'TERMINATED', '2', '5'],
        ['quadratic_00002', 'TERMINATED', '3', '5'],
      ]);
      const runs = await page.$$eval('#runs li', (lis) => lis.map((li) => [li.className, li.textContent]));
      expect(runs).toContainEqual(['unreadable', expect.stringMatching(/^ray_results\/grid\/quadratic_00002: unreadable \(progress.csv is damaged: line 7 has 2 cells, the header \d+\)$/)]);
      expect(runs).toContainEqual(['run', 'ray_results/grid/quadratic_00001: 5 iterations']);
      expect(runs).toContainEqual(['run', 'ray_results/cartpole: 3 iterations']);
    });

    test('a row appended to progress.csv shows without a reload', async () => {
      const trainCsv = path.join(root, 'ray_results', 'cartpole', 'progress.csv');
      const lines = readFileSync(trainCsv, 'utf8').trim().split('\n');
      const header = lines[0].split(',');
      const last = lines[lines.length - 1].split(',');
      last[header.indexOf('training_iteration')] = '4';
      last[header.indexOf('episode_reward_mean')] = '77.5';
      appendFileSync(trainCsv, `${last.join(',')}\n`);
      await page.waitForFunction(() => (window as unknown as { rlDashboard: { points: (r: string, c: string) => number } }).rlDashboard.points('ray_results/cartpole', 'episode_reward_mean') === 4, { timeout: 10_000 });
      expect(await points('ray_results/cartpole', 'episode_reward_mean')).toBe(csvRows(trainCsv));
      expect(errors).toEqual([]);
    });

    test('a running rl serve: its request count and rate show, updated live', async () => {
      for (let i = 0; i < 12; i++) {
        const response = await fetch(`${serveAddress}/cp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ observation: [0.01, 0, 0.02, 0] }) });
        expect(response.status).toBe(200);
      }
      type Serve = { rlDashboard: { serve: { url: string; deployments: Record<string, { requests_total: number; rate: number; latency_ms: number | null }[]> }[] } };
      await page.waitForFunction(() => (window as unknown as Serve).rlDashboard.serve[0]?.deployments.cp?.at(-1)?.requests_total === 12, { timeout: 10_000 });
      const points = await page.evaluate(() => (window as unknown as Serve).rlDashboard.serve[0].deployments.cp);
      expect(points.some((p) => p.rate > 0)).toBe(true);
      expect(points.some((p) => p.latency_ms !== null && p.latency_ms > 0)).toBe(true);
      expect(await page.$$eval('#serve .chart', (charts) => charts.map((c) => c.getAttribute('data-serve')))).toEqual([`${serveAddress} rate`, `${serveAddress} latency_ms`]);
      expect(errors).toEqual([]);
    });

    test('the play page runs a checkpoint in the page to the return rl rollout --seed reports for the same start', async () => {
      const play = await browser.browser.newPage();
      const playErrors: string[] = [];
      play.on('console', (message) => {
        if (message.type() === 'error') playErrors.push(message.text());
      });
      play.on('pageerror', (error) => playErrors.push(String(error)));
      await play.goto(`${address}/play`, { waitUntil: 'load' });
      await play.waitForFunction(() => (window as unknown as { rlPlay: { ready?: boolean } }).rlPlay.ready === true);
      const options = await play.$$eval('#checkpoint option', (os) => os.map((o) => o.textContent ?? ''));
      const index = options.findIndex((o) => o.startsWith('ray_results/cartpole/checkpoint_3 (CartPole-v1, iteration 3'));
      expect(index).toBeGreaterThanOrEqual(0);
      await play.evaluate((i) => {
        (document.getElementById('checkpoint') as HTMLSelectElement).selectedIndex = i;
        (document.getElementById('speed') as HTMLSelectElement).value = 'fast';
      }, index);
      const checkpoint = path.join(root, 'ray_results', 'cartpole', 'checkpoint_3');
      const policy = await CheckpointPolicy.load(checkpoint);
      expect(policy.config.observation_filter).toBe('MeanStdFilter');
      for (const seed of [0, 1, 2, 3]) {
        await play.evaluate((s) => {
          (document.getElementById('seed') as HTMLInputElement).value = String(s);
          (window as unknown as { rlPlay: { done: boolean } }).rlPlay.done = false;
        }, seed);
        await play.click('#play');
        await play.waitForFunction(() => (window as unknown as { rlPlay: { done: boolean } }).rlPlay.done, { timeout: 30_000 });
        const episode = await play.evaluate(() => (window as unknown as { rlPlay: { episodeReturn: number; error: string | null } }).rlPlay);
        expect(episode.error).toBeNull();
        // what rl rollout reports: the CLI for one seed, the same replayPolicy() in-process for the others
        let expected: number;
        if (seed === 0) {
          const rollout = rl(['rollout', path.join(checkpoint, 'checkpoint-3'), '--seed', '0', '--episodes', '1', '--json']);
          expected = JSON.parse(rollout.stdout.trim().split('\n')[0]).reward;
        } else {
          expected = (await replayPolicy(policy, { seed, episodes: 1 })).episodes[0].reward;
        }
        expect(Math.abs(episode.episodeReturn - expected)).toBeLessThanOrEqual(0.01 * expected);
      }
      expect(await play.$eval('#result', (p) => p.textContent)).toMatch(/return \d+\.0 after \d+ steps \(episode over\)$/);
      expect(playErrors).toEqual([]);
      const shot = path.join(root, 'play.png');
      await play.screenshot({ path: shot });
      if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(shot, path.join(repoRoot, 'docs', 'play.png'));
      await play.close();
    });
  });
}

describe('rl dashboard folders', () => {
  test('a folder that does not exist or holds no runs is refused in one line', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'rl-dash-empty-'));
    expect(userErrorOf(() => resolveRoots(['nope'], empty)).message).toBe('nope is not a folder: name a folder that holds runs (a checkpoint dir or a Tune local_dir)');
    writeFileSync(path.join(empty, 'notes.txt'), 'hello');
    mkdirSync(path.join(empty, 'checkpoints'));
    expect(userErrorOf(() => resolveRoots([], empty)).message).toBe('no runs in ray_results or checkpoints (no progress.csv or experiment_state.json): train first with rl train or rl tune, or name the folder they wrote to');
    expect(userErrorOf(() => resolveRoots(['.'], empty)).message).toMatch(/^no runs in \. /);
    // by default, whichever of ray_results and checkpoints exists
    mkdirSync(path.join(empty, 'ray_results', 'run'), { recursive: true });
    writeFileSync(path.join(empty, 'ray_results', 'run', 'progress.csv'), 'training_iteration\n1\n');
    expect(resolveRoots([], empty)).toEqual([path.join(empty, 'ray_results'), path.join(empty, 'checkpoints')]);
  });

  test('the command exits 2 with that line', () => {
    const bad = rl(['dashboard', path.join(os.tmpdir(), 'rl-no-such-folder')]);
    expect([bad.code, bad.stderr]).toEqual([2, `rl: ${path.join(os.tmpdir(), 'rl-no-such-folder')} is not a folder: name a folder that holds runs (a checkpoint dir or a Tune local_dir)\n`]);
  });
});
