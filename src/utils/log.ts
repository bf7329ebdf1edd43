// Logs go to stderr (stdout carries results). Levels as RLlib's log_level.
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const order: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };
let threshold: number = order.WARN;

export function setLogLevel(level: LogLevel): void {
  threshold = order[level];
}

function emit(level: LogLevel, message: string): void {
  if (order[level] >= threshold) process.stderr.write(`${level}: ${message}\n`);
}

export const logger = {
  debug: (message: string) => emit('DEBUG', message),
  info: (message: string) => emit('INFO', message),
  warn: (message: string) => emit('WARN', message),
  error: (message: string) => emit('ERROR', message),
};
