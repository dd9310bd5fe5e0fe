import type { TFunction } from 'i18next';
import type { Message } from './message.ts';

/** Values starting with this are catalog keys themselves: a role, a status, said in the language too. */
const KEY_PREFIX = '@';

/** A catalog key (with its own values) passed as a message value, translated with the sentence. */
export function keyParam(key: string, params?: Record<string, string | number>): string {
  return `${KEY_PREFIX}${key}${params ? `|${JSON.stringify(params)}` : ''}`;
}

function renderValue(t: TFunction, value: string | number): string | number {
  if (typeof value !== 'string' || !value.startsWith(KEY_PREFIX)) return value;
  const [key, json] = value.slice(1).split(/\|(.*)/s);
  // A value that only looks like a key (a file named `@types`) is said as it is.
  if (json === undefined) return t(key as string, { defaultValue: value });
  return t(key as string, JSON.parse(json) as Record<string, unknown>);
}

/** Says a message in the language `t` speaks; list values are said item by item. */
export function renderMessage(t: TFunction, message: Message): string {
  const params = Object.fromEntries(
    Object.entries(message.params ?? {}).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.map((v) => renderValue(t, v)).join(', ') : renderValue(t, value),
    ]),
  );
  return t(message.key, params);
}
