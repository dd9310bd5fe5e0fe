import type { PreflightCheck } from '../../shared/preflight.ts';
import { throttleMethodHere } from '../converge/program-throttle.ts';
import { say } from '../i18n/say.ts';

/**
 * How auto-converge would slow the program on this machine, said before the copy so the
 * technician knows what turning it on means here: a cgroup's CPU limit, or (without root or a
 * cpu controller) stopping and continuing the program many times a second.
 */
export function autoConvergeCheck(): PreflightCheck {
  const method = throttleMethodHere();
  const title = say('preflight.autoConvergeTitle');
  const body = say(`preflight.autoConverge.${method}`);
  return {
    id: 'auto-converge',
    level: 'ok',
    title: title.text,
    detail: body.text,
    titleMessage: title.message,
    detailMessage: body.message,
  };
}
