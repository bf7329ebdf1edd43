// Small helpers shared by the config modules.
import { UserError } from '../utils/errors.js';

/** A plain object (JSON/YAML mapping): not null, not an array, not a Map/Date/class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A value as it appears in an error message: JSON where possible, on one line, shortened. */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
  else if (value === undefined) text = 'undefined';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A UserError whose message is guaranteed to be one line. */
export function userError(message: string): UserError {
  return new UserError(message.replace(/\s*[\r\n]+\s*/g, ' '));
}
