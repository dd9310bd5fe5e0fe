/** A section of an INI-style file (systemd units, NetworkManager keyfiles): keys may repeat. */
export interface KeyFileSection {
  name: string;
  entries: [key: string, value: string][];
}

/**
 * Parses `[Section]` headers and `key=value` lines; `#` and `;` start comments. Keys keep
 * their order and repeats, as systemd-networkd's `Address=` lines do.
 */
export function parseKeyFile(text: string): KeyFileSection[] {
  const sections: KeyFileSection[] = [];
  let current: KeyFileSection | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = { name: (header[1] as string).trim(), entries: [] };
      sections.push(current);
      continue;
    }
    const equals = line.indexOf('=');
    if (!current || equals < 0) continue;
    current.entries.push([line.slice(0, equals).trim(), line.slice(equals + 1).trim()]);
  }
  return sections;
}

/** Every value of `key` in the sections named `section`, in order. */
export function valuesOf(sections: KeyFileSection[], section: string, key: string): string[] {
  return sections
    .filter((s) => s.name.toLowerCase() === section.toLowerCase())
    .flatMap((s) => s.entries.filter(([k]) => k === key).map(([, v]) => v));
}

/** The last value of `key` in the sections named `section`, or null. */
export function valueOf(sections: KeyFileSection[], section: string, key: string): string | null {
  return valuesOf(sections, section, key).at(-1) ?? null;
}
