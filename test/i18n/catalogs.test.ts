import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { selinuxRelabelWarning } from '../../engine/vm/selinux-labels.ts';
import { LANGUAGES, RESOURCES } from '../../shared/i18n/index.ts';

type Tree = { [key: string]: string | Tree };

function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of leaves(value, path)) out.set(k, v);
  }
  return out;
}

const placeholders = (text: string): string[] =>
  [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1] as string).sort();

describe('translations', () => {
  const english = leaves(RESOURCES.en.translation as unknown as Tree);

  for (const language of LANGUAGES.filter((l) => l !== 'en'))
    it(`${language} translates every string, with the same placeholders`, () => {
      const other = leaves(RESOURCES[language].translation as unknown as Tree);
      assert.deepEqual([...other.keys()].sort(), [...english.keys()].sort());
      for (const [key, text] of other) {
        assert.ok(text.trim().length > 0, `${key} is empty`);
        assert.deepEqual(placeholders(text), placeholders(english.get(key) as string), key);
      }
      const untranslated = [...other].filter(
        ([key, text]) => text === english.get(key) && /[a-z]{4,}/.test(text),
      );
      assert.ok(
        untranslated.length <= 2,
        `left in English: ${untranslated.map(([k]) => k).join(', ')}`,
      );
    });

  it('has a sentence for every warning the engine gives by name', () => {
    // A missing one is shown as its key ("warnings.selinuxRelabel"), telling the technician nothing.
    const engine = fileURLToPath(new URL('../../engine', import.meta.url));
    const sources = (readdirSync(engine, { recursive: true }) as string[])
      .filter((name) => name.endsWith('.ts'))
      .map((name) => readFileSync(join(engine, name), 'utf8'));
    const named = new Set(
      sources.flatMap((text) => [...text.matchAll(/\bwarn\(\s*'(\w+)'/g)].map((m) => m[1])),
    );
    assert.ok(named.size > 20, `found ${named.size} warnings by name`);
    // Keys chosen by a helper rather than written at the call.
    for (const unlabelled of [['/etc/passwd'], []])
      named.add(selinuxRelabelWarning({ mode: 'enforcing', unlabelled, written: ['/x'] })[0]);
    const missing = [...named].filter((key) => !english.has(`warnings.${key}`));
    assert.deepEqual(missing, []);
  });
});
