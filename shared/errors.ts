import { en } from './i18n/en.ts';

/**
 * Error codes that cross process and wire boundaries as plain JSON, with the text a technician
 * reads: what happened and what to do next (English here; the wizard looks the code up in its
 * language's catalog).
 */
export const ERROR_TEXT = en.errors;

/** A stable error code; the key into ERROR_TEXT. */
export type ErrorCode = keyof typeof ERROR_TEXT;

/** The JSON shape of an error on the wire and in reports. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  detail?: string;
}

/** An error with a code, safe to serialise and to show a technician. */
export class P2VError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, detail?: string) {
    super(detail ? `${ERROR_TEXT[code]} (${detail})` : ERROR_TEXT[code]);
    this.name = 'P2VError';
    this.code = code;
    this.detail = detail;
  }

  toJSON(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      ...(this.detail ? { detail: this.detail } : {}),
    };
  }

  static fromJSON(info: ErrorInfo): P2VError {
    if (info.code in ERROR_TEXT) return new P2VError(info.code, info.detail);
    return new P2VError('IO_ERROR', info.message);
  }
}

/** Errors worth retrying after a reconnect, not a reason to give up on the migration. */
export function isTransient(error: unknown): boolean {
  if (error instanceof P2VError)
    return error.code === 'CONNECTION_LOST' || error.code === 'CONNECT_FAILED';
  const code = (error as { code?: string } | null)?.code;
  return (
    code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'EPIPE' || code === 'ETIMEDOUT'
  );
}
