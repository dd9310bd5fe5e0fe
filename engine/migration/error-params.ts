import { P2VError } from '../../shared/errors.ts';
import { keyParam } from '../../shared/i18n/render-message.ts';

/** A failure's short name for a list: the errno (EACCES) or the P2V code, else its message. */
export function errorCode(error: Error): string {
  if (error instanceof P2VError) return error.code;
  return (error as NodeJS.ErrnoException).code ?? error.message;
}

/**
 * Why a path failed, for a warning: a P2V error by its catalog key, so the report says it in its
 * language; anything else (the OS's own words) as it came.
 */
export function errorParams(error: Error): { reason: string; detail: string } {
  if (error instanceof P2VError)
    return {
      reason: keyParam(`errors.${error.code}`),
      detail: error.detail ? ` (${error.detail})` : '',
    };
  return { reason: error.message, detail: '' };
}
