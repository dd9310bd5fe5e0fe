/**
 * A sentence the engine says, by its catalog key and the values that go into it, so each
 * front end says it in its own language. The engine also keeps the English text beside it.
 */
export interface Message {
  key: string;
  /** Values; one starting with `@` is a catalog key itself, a list is said item by item. */
  params?: MessageParams;
}

export type MessageParams = Record<string, string | number | string[]>;
