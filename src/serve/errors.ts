// The two ways a request fails: the client's fault (RequestError: 4xx, its message says what to
// fix) or the served version's (VersionError: 500, counted per deployment and version).
import { errorMessage } from '../utils/errors.js';

/** A client error: the HTTP layer answers with this status and message. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Anything a version threw that is not a RequestError: user code failing, a bad answer, a bug. */
export class VersionError extends Error {
  readonly status = 500;

  constructor(
    readonly deployment: string,
    readonly version: string,
    cause: unknown,
  ) {
    super(`version '${version}' of deployment '${deployment}' failed: ${errorMessage(cause)}`, { cause });
  }
}
