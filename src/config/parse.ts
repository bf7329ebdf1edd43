// Reading the values of --config / --stop and experiment files: inline JSON, or a .json, .yaml or
// .yml file. Every failure is a one-line UserError naming the flag or file and the position.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { errorMessage } from '../utils/errors.js';
import { userError } from './util.js';

export const DATA_FILE_EXTENSIONS = ['.json', '.yaml', '.yml'] as const;

interface LineColumn {
  line: number;
  column: number;
}

function lineColumnAt(text: string, offset: number): LineColumn {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split(/\r\n|\r|\n/);
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/** The offset V8 reports in a JSON.parse message, if it reports one. */
function reportedOffset(text: string, message: string): number | null {
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message); // Node >= 22
  if (lineColumn) {
    const lines = text.split(/(?<=\r\n|\r|\n)/);
    const line = Number(lineColumn[1]);
    return lines.slice(0, line - 1).reduce((sum, l) => sum + l.length, 0) + Number(lineColumn[2]) - 1;
  }
  const position = /at position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  if (/Unexpected end of JSON input/.test(message)) return text.length;
  return null;
}

/**
 * Where JSON.parse failed. Node 20 leaves the position out of "Unexpected token" messages, so
 * then the offset is found as the longest prefix of the text that JSON.parse still sees as
 * cut short (not wrong): the character after it is the one the parser refused.
 */
function jsonErrorOffset(text: string, message: string): number {
  const reported = reportedOffset(text, message);
  if (reported !== null) return reported;
  const viablePrefix = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return true;
    } catch (error) {
      return reportedOffset(text.slice(0, length), errorMessage(error)) === length;
    }
  };
  let lo = 0; // viable
  let hi = text.length; // not viable
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (viablePrefix(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** V8's JSON.parse message without the position and the quoted excerpt (which may span lines). */
function jsonReason(message: string): string {
  return message
    .replace(/,\s*(?:\.\.\.)?"[\s\S]*is not valid JSON\s*$/, '')
    .replace(/\s*in JSON at position \d+[\s\S]*$/, '')
    .trim();
}

/** Parses JSON text; `where(line, column, reason)` words the error. */
function parseJSONText(text: string, fail: (at: LineColumn, reason: string) => string): unknown {
  const source = text.replace(/^\uFEFF/, '');
  try {
    return JSON.parse(source) as unknown;
  } catch (error) {
    const message = errorMessage(error);
    throw userError(fail(lineColumnAt(source, jsonErrorOffset(source, message)), jsonReason(message)));
  }
}

function parseYAMLText(text: string, fail: (at: LineColumn, reason: string) => string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const [first] = doc.errors;
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    throw userError(fail({ line, column: col }, first.message));
  }
  try {
    return doc.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (error) {
    throw userError(fail({ line: 1, column: 1 }, errorMessage(error)));
  }
}

/**
 * Reads and parses a .json, .yaml or .yml file. `file` is resolved against `cwd`; messages name
 * it as written, prefixed by `context` (e.g. "--config: ").
 */
export function readDataFile(file: string, cwd: string = process.cwd(), context = ''): unknown {
  const resolved = path.resolve(cwd, file);
  const ext = path.extname(file).toLowerCase();
  let text: string;
  try {
    text = readFileSync(resolved, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const shown = resolved === file ? file : `${file} (${resolved})`;
    if (code === 'ENOENT') {
      throw userError(`${context}file not found: ${shown}; pass inline JSON starting with '{' or the path of a .json, .yaml or .yml file`);
    }
    if (code === 'EISDIR') throw userError(`${context}${shown} is a directory; pass a .json, .yaml or .yml file`);
    throw userError(`${context}cannot read ${shown}: ${errorMessage(error)}`);
  }
  if (ext === '.json') {
    return parseJSONText(text, ({ line, column }, reason) => `${context}${file}:${line}:${column}: invalid JSON: ${reason}`);
  }
  if (ext === '.yaml' || ext === '.yml') {
    return parseYAMLText(text, ({ line, column }, reason) => `${context}${file}:${line}:${column}: invalid YAML: ${reason}`);
  }
  throw userError(`${context}${file} is not a .json, .yaml or .yml file; rename it or pass inline JSON starting with '{'`);
}

/**
 * The value of a flag such as --config or --stop: inline JSON when it starts with '{' (or '['),
 * otherwise the path (relative to cwd) of a .json, .yaml or .yml file.
 */
export function parseJSONOrFile(flag: string, value: string, cwd: string): unknown {
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    return parseJSONText(trimmed, ({ line, column }, reason) => {
      const at = line === 1 ? `column ${column}` : `line ${line} column ${column}`;
      return `${flag}: invalid inline JSON at ${at}: ${reason} (quote the whole value in single quotes and keys and strings in double quotes, e.g. ${flag} '{"lr": 0.001}')`;
    });
  }
  if (trimmed === '') throw userError(`${flag}: empty value; pass inline JSON such as '{"lr": 0.001}' or the path of a .json, .yaml or .yml file`);
  return readDataFile(trimmed, cwd, `${flag}: `);
}

/** A --config style flag value as a config layer: inline JSON is named by the flag, a file by its path. */
export function readConfigLayer(flag: string, value: string, cwd: string): { source: string; config: unknown } {
  const trimmed = value.trim();
  const inline = trimmed.startsWith('{') || trimmed.startsWith('[');
  return { source: inline ? flag : trimmed, config: parseJSONOrFile(flag, value, cwd) };
}
