import type { MessageParams } from '../../shared/i18n/message.ts';
import type { VmProgress } from '../../shared/vm-image.ts';
import { say } from '../i18n/say.ts';

/** One of the VM step's own lines, from the catalogs: English in `line`, the key in `said`. */
export function vmLine(step: VmProgress['step'], key: string, params?: MessageParams): VmProgress {
  const { text, message } = say(`vm.lines.${key}`, params);
  return { step, line: text, said: message };
}
