// Pieces every command shares: integer and port flag checks, the two-stage Ctrl-C.
import { UserError } from '../utils/errors.js';

/**
 * yargs turns a flag given twice into an array, which a command expecting one value would
 * misread ("value.trim is not a function"): refuse it, except for options declared repeatable
 * (`arrayKeys`). Aliases (-f) and yargs' camelCase copies are skipped, so the flag is named as --file.
 */
export function refuseRepeatedFlags(argv: Record<string, unknown>, arrayKeys: readonly string[]): void {
  for (const [key, value] of Object.entries(argv)) {
    if (key === '_' || key.length === 1 || /[A-Z]/.test(key) || !Array.isArray(value) || arrayKeys.includes(key)) continue;
    throw new UserError(`--${key} was given ${value.length} times; give it once`);
  }
}

/** Refuses a flag value that is not an integer >= min (undefined: the flag was not given). */
export function checkIntegerFlag(flag: string, value: number | undefined, min: 0 | 1): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
    throw new UserError(`--${flag} must be a ${min === 1 ? 'positive' : 'non-negative'} integer, got ${value}`);
  }
}

export function checkPortFlag(port: number): void {
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) throw new UserError(`--port must be an integer from 0 to 65535, got ${port}`);
}

/**
 * The first Ctrl-C aborts the returned signal (the command finishes what it is doing and saves),
 * a second one quits at once. Call dispose() when the command is done.
 */
export function onInterrupt(message: string, onFirst?: () => void): { signal: AbortSignal; dispose: () => void } {
  const abort = new AbortController();
  const handler = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
    onFirst?.();
    process.stderr.write(`\n${message} (Ctrl-C again to quit now)\n`);
  };
  process.on('SIGINT', handler);
  return { signal: abort.signal, dispose: () => process.off('SIGINT', handler) };
}
