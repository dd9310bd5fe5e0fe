/**
 * Error codes that cross process and wire boundaries as plain JSON, with the text a technician
 * reads: what happened and what to do next.
 */
export const ERROR_TEXT = {
  AUTH_FAILED:
    'The agent refused the pairing token. Copy the token the agent printed and try again.',
  AUTH_REQUIRED: 'The agent accepts nothing before pairing. Send the pairing token first.',
  FINGERPRINT_MISMATCH:
    'The target presented a different certificate than the one you confirmed. Nothing was sent. Check that you are connecting to the right agent.',
  PROTOCOL_VERSION:
    'The agent speaks another protocol version. Use the same P2V Wizard version on both machines.',
  BAD_FRAME: 'The peer sent a malformed message. The connection was closed; nothing was written.',
  BAD_PATH: 'A path would leave the target root or is not allowed. Nothing was written.',
  CHECKSUM_MISMATCH:
    'A file on the target did not match the source after applying changes. The old version was kept; the file will be sent again.',
  UNSUPPORTED_FILE:
    'A device, FIFO or socket is not copied: the target system makes its own. It is listed in the report.',
  IO_ERROR: 'A file could not be read or written.',
  CONNECTION_LOST:
    'The connection to the agent was lost. The migration resumes from where it stopped.',
  CONNECT_FAILED: 'Could not reach the agent. Check the address and that the agent is running.',
  NOT_STOPPED: 'The stop command failed, so the program is still running. Nothing was handed over.',
  VERIFY_FAILED:
    'Some files differ between source and target after the last round. Nothing was handed over; the program was restarted on the source.',
  HANDOVER_FAILED: 'The agent could not start the program on the target.',
  AGENT_STOPPED:
    'The agent has answered a stop request and takes no more writes. Start a new migration to send more.',
  BAD_ARGUMENT: 'An option is missing or invalid.',
  STATE_MISMATCH: 'The state directory belongs to another migration. Use a new --state directory.',
  PARSE_FAILED:
    'A system tool printed something P2V Wizard cannot read. The inspection lists it as unknown; check the tool by hand.',
  PROFILE_INVALID: 'The VM profile is not valid. Fix the file or pick a built-in profile.',
  BLOCKED:
    'The check before the copy found something that stops this migration. Nothing was copied. Fix what it names and run again.',
  CANCELLED:
    'The migration was cancelled. Nothing was handed over; run the same command again to resume.',
} as const;

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
