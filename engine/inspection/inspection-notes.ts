import type { Message } from '../../shared/i18n/message.ts';
import { say } from '../i18n/say.ts';

/** What an inspection could not read, in English and as messages for other languages. */
export class InspectionNotes {
  readonly texts: string[] = [];
  readonly messages: Message[] = [];

  add(name: string, params?: Record<string, string>): void {
    const said = say(`notes.${name}`, params);
    this.texts.push(said.text);
    this.messages.push(said.message);
  }
}
