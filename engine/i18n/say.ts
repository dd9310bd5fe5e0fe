import type { Message, MessageParams } from '../../shared/i18n/message.ts';
import { renderMessage } from '../../shared/i18n/render-message.ts';
import { translator } from '../../shared/i18n/translator.ts';

const english = translator('en');

/** A sentence from the catalogs: its English text for the CLI and JSON, and its key for the rest. */
export function say(key: string, params?: MessageParams): { text: string; message: Message } {
  const message = params ? { key, params } : { key };
  return { text: renderMessage(english, message), message };
}
