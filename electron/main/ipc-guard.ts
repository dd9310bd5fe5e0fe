import { API_CHANNELS, type ApiMethod } from '../../shared/api.ts';
import { P2VError, type ErrorInfo } from '../../shared/errors.ts';
import { isAppUrl } from './content-security.ts';

/** What an IPC answer carries: Electron turns thrown errors into bare strings, so we do not throw. */
export type IpcAnswer = { ok: true; value: unknown } | { ok: false; error: ErrorInfo };

/** The part of an IPC event the guard looks at. */
export interface IpcSender {
  senderFrame: { url: string } | null;
}

/**
 * Wraps one API channel's handler: the sender must be the wizard's own page and the payload
 * must pass the channel's schema before the engine sees it. Everything from the window is
 * untrusted input.
 */
export function guardedHandler(
  method: ApiMethod,
  forward: (method: ApiMethod, arg: unknown) => Promise<unknown>,
): (event: IpcSender, arg?: unknown) => Promise<IpcAnswer> {
  const schema = API_CHANNELS[method].input;
  return async (event, arg) => {
    if (!isAppUrl(event.senderFrame?.url))
      return {
        ok: false,
        error: new P2VError('BAD_ARGUMENT', 'call from an unknown page').toJSON(),
      };
    const parsed = schema.safeParse(arg);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        ok: false,
        error: new P2VError(
          'BAD_ARGUMENT',
          `${method}: ${issue?.path.join('.') || 'argument'} ${issue?.message ?? ''}`,
        ).toJSON(),
      };
    }
    try {
      return { ok: true, value: (await forward(method, parsed.data)) ?? null };
    } catch (error) {
      const info =
        error instanceof P2VError
          ? error.toJSON()
          : typeof error === 'object' && error !== null && 'code' in error && 'message' in error
            ? (error as ErrorInfo)
            : new P2VError('IO_ERROR', String(error)).toJSON();
      return { ok: false, error: info };
    }
  };
}
