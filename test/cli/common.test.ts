import { describe, expect, test } from '@jest/globals';
import { refuseRepeatedFlags } from '../../src/cli/common.js';
import { userErrorOf } from '../helpers.js';

describe('refuseRepeatedFlags', () => {
  test('a single-value flag given twice is refused under its long name', () => {
    expect(userErrorOf(() => refuseRepeatedFlags({ _: ['train'], f: ['a', 'b'], file: ['a', 'b'], config: '{}' }, [])).message).toBe('--file was given 2 times; give it once');
    expect(userErrorOf(() => refuseRepeatedFlags({ _: [], 'checkpoint-dir': ['a', 'b', 'c'], checkpointDir: ['a', 'b', 'c'] }, [])).message).toBe(
      '--checkpoint-dir was given 3 times; give it once',
    );
  });

  test('options declared repeatable, positionals and single values pass', () => {
    expect(() => refuseRepeatedFlags({ _: ['serve', 'x'], deployment: ['a=1', 'b=2'], port: 8000 }, ['deployment'])).not.toThrow();
  });
});
