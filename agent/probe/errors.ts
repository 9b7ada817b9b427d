// Typed failures of local probes. A probe never throws for bad input: it records
// one of these in the report's `errors` and carries on with what it could read.

export type ProbeErrorCode =
  | 'ENOENT' // the file or directory is absent (only an error where a probe needs it)
  | 'EACCES' // present but not readable by this user (most of /sys/firmware needs root)
  | 'EIO' // any other read failure
  | 'TOO_LARGE' // the file is bigger than the cap for its kind
  | 'TRUNCATED' // fewer bytes than a header or length field promises
  | 'MALFORMED' // bytes present but not of the expected form (bad magic, checksum, syntax)
  | 'UNSUPPORTED'; // a version or layout this probe does not decode

export interface ReportError {
  probe: string;
  path: string;
  code: ProbeErrorCode;
  message: string;
}

/** Where probes record what went wrong; the report prints these under `errors`. */
export class ErrorSink {
  readonly list: ReportError[] = [];
  constructor(private readonly probe: string = 'report') {}

  /** A sink whose entries carry another probe's name but land in the same list. */
  for(probe: string): ErrorSink {
    const child = new ErrorSink(probe);
    (child as { list: ReportError[] }).list = this.list;
    return child;
  }

  add(path: string, code: ProbeErrorCode, message: string): void {
    this.list.push({ probe: this.probe, path, code, message });
  }

  /** Records a failed Result and hands back its value (or undefined). */
  take<T>(path: string, r: Result<T>): T | undefined {
    if (r.ok) return r.value;
    this.add(path, r.error.code, r.error.message);
    return undefined;
  }
}

export interface ParseError {
  code: ProbeErrorCode;
  message: string;
  /** Byte offset in the input where the problem was found, when it has one. */
  offset?: number;
}

export type Result<T, E extends ParseError = ParseError> =
  | { ok: true; value: T }
  | { ok: false; error: E };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ProbeErrorCode, message: string, offset?: number): Result<never> => ({
  ok: false,
  error: offset === undefined ? { code, message } : { code, message, offset },
});
