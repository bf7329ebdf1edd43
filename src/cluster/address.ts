// Where the cluster's Redis is: `--address redis://[:password@]host:port` (rediss:// for TLS),
// or RL_ADDRESS as Ray reads RAY_ADDRESS. The password never leaves this module except inside the
// URL handed to ioredis: whatever is printed or written uses `display`, with the password masked.
import { UserError } from '../utils/errors.js';

export interface ClusterAddress {
  /** The URL as given, password included: only for ioredis. */
  readonly url: string;
  /** The URL with the password replaced by ***: for messages and files. */
  readonly display: string;
}

export const ADDRESS_ENV = 'RL_ADDRESS';

export function parseAddress(text: string, source = '--address'): ClusterAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    url = new URL('invalid:');
  }
  const masked = (): string => {
    const copy = new URL(url.href);
    if (copy.password) copy.password = '***';
    return copy.href.replace(/\/$/, '');
  };
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    // the text may hold a password in a shape URL cannot parse: name only its scheme-less host part
    const shown = text.replace(/\/\/[^@/]*@/, '//***@');
    throw new UserError(`${source} ${shown} is not a Redis address: give redis://HOST:PORT, redis://:PASSWORD@HOST:PORT or rediss://HOST:PORT (TLS)`);
  }
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname)) {
    throw new UserError(`${source} ${masked()}: the path can only be a database number (redis://HOST:PORT/0)`);
  }
  return { url: url.href, display: masked() };
}

/** The address from the flag, else from RL_ADDRESS, else null (this machine alone). */
export function resolveAddress(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ClusterAddress | null {
  if (flag !== undefined) return parseAddress(flag);
  const fromEnv = env[ADDRESS_ENV];
  return fromEnv ? parseAddress(fromEnv, ADDRESS_ENV) : null;
}

/** Masks the password wherever it appears in `text` (an ioredis error may echo its options). */
export function redact(text: string, address: ClusterAddress): string {
  const password = new URL(address.url).password;
  if (!password) return text;
  return text.split(password).join('***').split(decodeURIComponent(password)).join('***');
}
