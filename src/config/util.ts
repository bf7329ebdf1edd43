// Small helpers shared by the config modules.
import { UserError } from '../utils/errors.js';

/** A plain object (JSON/YAML mapping): not null, not an array, not a Map/Date/class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Object.prototype of any realm (structuredClone and vm contexts, as under jest, make objects
  // whose prototype is another realm's Object.prototype), or no prototype at all.
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
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
