import { describe, expect, test } from '@jest/globals';
import { parseProgressCsv } from '../../src/dashboard/runs.js';
import { serveTotals } from '../../src/dashboard/serve_metrics.js';
import { PlayRoom } from '../../src/dashboard/play.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

describe('progress.csv as the dashboard reads it', () => {
  test('numbers, quoted cells, empty cells as null, booleans as 0/1; a line without its newline yet waits', () => {
    expect(parseProgressCsv('training_iteration,episode_reward_mean,done,hist\n1,20.5,false,"[1,2]"\n2,,true,"say ""hi"""\n3,2')).toEqual({
      columns: ['training_iteration', 'episode_reward_mean', 'done', 'hist'],
      rows: [
        [1, 20.5, 0, null],
        [2, null, 1, null],
      ],
    });
  });

  test('a row with the wrong number of cells is an error naming its line', () => {
    expect(() => parseProgressCsv('a,b\n1,2\n3\n')).toThrow('line 3 has 1 cells, the header 2');
  });
});

describe('rl serve metrics as the dashboard reads them', () => {
  test('sums per deployment over versions and statuses', () => {
    const text = [
      '# HELP rl_serve_requests_total Prediction requests answered',
      '# TYPE rl_serve_requests_total counter',
      'rl_serve_requests_total{deployment="cp",version="checkpoint_1"} 7',
      'rl_serve_requests_total{deployment="cp",version="checkpoint_2"} 3',
      'rl_serve_requests_total{deployment="other",version="checkpoint_1"} 1',
      'rl_serve_errors_total{deployment="cp",status="400"} 2',
      'rl_serve_request_duration_seconds_bucket{le="0.005",deployment="cp",version="checkpoint_1"} 7',
      'rl_serve_request_duration_seconds_sum{deployment="cp",version="checkpoint_1"} 0.02',
      'rl_serve_request_duration_seconds_count{deployment="cp",version="checkpoint_1"} 7',
      'rl_serve_request_duration_seconds_sum{deployment="cp",version="checkpoint_2"} 0.01',
      'rl_serve_request_duration_seconds_count{deployment="cp",version="checkpoint_2"} 3',
    ].join('\n');
    const totals = serveTotals(text);
    expect(totals.get('cp')).toEqual({ requests: 10, errors: 2, latencySum: 0.03, latencyCount: 10 });
    expect(totals.get('other')).toEqual({ requests: 1, errors: 0, latencySum: 0, latencyCount: 0 });
  });
});

describe('the play page offers checkpoints whose greedy action it can take in the browser', () => {
  test('PPO (clipped means) and SAC (squashed means) are offered; DQN and unknown algorithms are not', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'rl-play-'));
    const checkpoint = (name: string, algorithm: string, models: string[]) => {
      const dir = path.join(root, name, 'checkpoint_1');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'checkpoint-1'), JSON.stringify({ algorithm, env: 'Pendulum-v1', iteration: 1, models, config: {} }));
    };
    checkpoint('ppo', 'PPO', ['policy', 'value']);
    checkpoint('sac', 'SAC', ['policy', 'q', 'twin_q', 'target_q', 'target_twin_q']);
    checkpoint('dqn', 'DQN', ['q', 'q_value', 'target_q', 'target_q_value']);
    checkpoint('future', 'APPO', ['policy', 'value']);
    const offered = new PlayRoom([root]).checkpoints().map((c) => [c.id.split('/')[1], c.box_actions]);
    expect(offered.sort()).toEqual([
      ['ppo', 'clipped-means'],
      ['sac', 'squashed-means'],
    ]);
  });
});
