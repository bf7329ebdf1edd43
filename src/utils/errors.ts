/**
 * An error the user can fix (bad config, unknown env id, missing checkpoint...).
 * The CLI prints its message as one line and exits with code 2; anything else is a bug
 * and keeps its stack trace.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  readonly exitCode = 2;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
