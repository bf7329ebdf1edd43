import { describe, expect, test } from '@jest/globals';
import { parseProgressCsv } from '../../src/dashboard/runs.js';
import { serveTotals } from '../../src/dashboard/serve_metrics.js';

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
