// The optional admin token guarding writes to /-/routes: `Authorization: Bearer <token>`
// (RFC 6750), compared in constant time so response timing reveals nothing about the token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { UserError } from '../utils/errors.js';

/** Refuses a token that could never be sent in a header, or protects nothing (empty). */
export function checkAdminToken(token: string): void {
  if (!/^[\x21-\x7e]+$/.test(token)) throw new UserError('the admin token must be one or more visible ASCII characters (no spaces or line breaks); RL_SERVE_ADMIN_TOKEN or --admin-token sets it');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Whether an Authorization header carries the token. Hashing first makes the lengths equal for timingSafeEqual. */
export function bearerMatches(token: string, authorization: string | undefined): boolean {
  const match = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '');
  return timingSafeEqual(digest(match ? match[1] : ''), digest(token)) && match !== null;
}
