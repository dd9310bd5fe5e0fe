import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { P2VError } from '../shared/errors.ts';

/**
 * A JSON file a technician passes on the command line (a disk plan, a saved inspection),
 * checked against its schema when there is one: a bad file is a usage error naming the file
 * and the field, before anything is built or sent.
 */
export async function readJsonFile<T>(
  path: string,
  what: string,
  schema?: z.ZodType<T>,
): Promise<T> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new P2VError('BAD_ARGUMENT', `${what} ${path}: ${(error as Error).message}`);
  }
  if (!schema) return data as T;
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new P2VError(
    'BAD_ARGUMENT',
    `${what} ${path}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`,
  );
}
