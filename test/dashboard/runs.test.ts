import { describe, expect, test } from '@jest/globals';
import { parseProgressCsv, splitCsvLine } from '../../src/dashboard/runs.js';

describe('progress.csv as the dashboard reads it', () => {
  test('cells quoted as result_writer quotes them', () => {
    expect(splitCsvLine('1,"a,b","say ""hi""",')).toEqual(['1', 'a,b', 'say "hi"', '']);
    expect(splitCsvLine('"open')).toBeNull();
  });

  test('numbers, empty cells as null, booleans as 0/1; a line without its newline yet waits', () => {
    expect(parseProgressCsv('training_iteration,episode_reward_mean,done,hist\n1,20.5,false,"[1,2]"\n2,,true,"[3]"\n3,2')).toEqual({
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
