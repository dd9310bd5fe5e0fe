import { P2VError } from '../../shared/errors.ts';

/**
 * Parses `/etc/os-release` (freedesktop.org's format): `KEY=value` lines, values optionally in
 * single or double quotes with backslash escapes, `#` comments.
 */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match) throw new P2VError('PARSE_FAILED', `os-release line ${index + 1}: ${line}`);
    fields[match[1] as string] = unquote(match[2] as string);
  }
  if (!fields.ID && !fields.NAME) throw new P2VError('PARSE_FAILED', 'os-release names no OS');
  return fields;
}

function unquote(value: string): string {
  const quote = value[0];
  if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
    const inner = value.slice(1, -1);
    return quote === '"' ? inner.replace(/\\(["\\`$])/g, '$1') : inner;
  }
  return value;
}
