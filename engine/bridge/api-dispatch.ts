import { API_CHANNELS, type ApiMethod, type WizardApi } from '../../shared/api.ts';
import { P2VError, type ErrorInfo } from '../../shared/errors.ts';

/**
 * Runs one API call from an untrusted window: the method must be one of the contract's and its
 * argument must pass the method's schema. IPC and the WebSocket bridge both come through here.
 */
export async function dispatchApiCall(
  api: WizardApi,
  method: unknown,
  arg: unknown,
): Promise<unknown> {
  if (typeof method !== 'string' || !Object.hasOwn(API_CHANNELS, method))
    throw new P2VError('BAD_ARGUMENT', `no such call: ${String(method).slice(0, 64)}`);
  const spec = API_CHANNELS[method as ApiMethod];
  const parsed = spec.input.safeParse(arg);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new P2VError(
      'BAD_ARGUMENT',
      `${method}: ${issue?.path.join('.') || 'argument'} ${issue?.message ?? ''}`,
    );
  }
  const call = api[method as ApiMethod] as (value: unknown) => Promise<unknown>;
  return call.call(api, parsed.data);
}

/** Any failure as the ErrorInfo a window shows (by code, in its language). */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof P2VError) return error.toJSON();
  return new P2VError('IO_ERROR', String((error as Error)?.message ?? error)).toJSON();
}
