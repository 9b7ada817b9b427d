// One logger for the whole agent. JSON lines on stderr for machines (journald,
// the fleet's log shipper); a short readable line when a person is watching a
// terminal or the kernel console during preboot. Results never go here: stdout
// belongs to the command's output.

import { pino, type Logger, type DestinationStream } from 'pino';

export type LogFormat = 'json' | 'pretty';

/** Keys whose values are secrets wherever they appear in a log record. */
const SECRET_KEYS = ['password', 'passwd', 'secret', 'token', 'apiKey', 'apiToken', 'key', 'privateKey', 'otp', 'psk', 'authorization', 'cookie', 'adminPassword', 'userPassword', 'newPassword', 'secretKey', 'recoveryKey'];

export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'name']);

/** Renders one pino JSON line as `12:00:00.123 INFO  msg key=value`. */
export function prettyLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const t = typeof rec.time === 'number' ? new Date(rec.time).toISOString().slice(11, 23) : '';
  const lvl = (LEVEL_NAMES[rec.level as number] ?? String(rec.level)).padEnd(5);
  const extra = Object.entries(rec)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
    .join(' ');
  return `${t} ${lvl} ${String(rec.msg ?? '')}${extra ? ` ${extra}` : ''}\n`;
}

function prettyStream(write: (s: string) => void): DestinationStream {
  return { write: (chunk: string) => write(prettyLine(chunk.trimEnd())) };
}

export function chooseFormat(env: NodeJS.ProcessEnv, stderrIsTTY: boolean): LogFormat {
  const forced = env.FORTROS_LOG_FORMAT;
  if (forced === 'json' || forced === 'pretty') return forced;
  return stderrIsTTY ? 'pretty' : 'json';
}

export interface LogOptions {
  format?: LogFormat;
  level?: string;
  /** Where lines go; stderr by default. Tests pass a collector. */
  write?: (s: string) => void;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const format = opts.format ?? chooseFormat(process.env, Boolean(process.stderr.isTTY));
  const write = opts.write ?? ((s: string) => process.stderr.write(s));
  const dest: DestinationStream = format === 'pretty' ? prettyStream(write) : { write };
  return pino(
    {
      name: 'fortros-oob-agent',
      level: opts.level ?? process.env.FORTROS_LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    dest,
  );
}
