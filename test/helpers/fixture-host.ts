import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InspectionHost } from '../../engine/inspection/inspection-host.ts';
import type { ToolOutput } from '../../engine/inspection/run-tool.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/inspection/', import.meta.url));

/** A captured tool output from the fixtures: `tools/<name>`, as text. */
export function fixtureText(machine: string, relative: string): string {
  return readFileSync(join(FIXTURES, machine, relative), 'utf8');
}

/**
 * An inspection host that answers from `test/fixtures/inspection/<machine>/`: files from
 * `files/`, tools from `tools/<command>.out` (or call by call from `<command>.calls.json`);
 * a tool without a fixture is not installed. `calls` records every command run.
 */
export function fixtureHost(machine: string): InspectionHost & { calls: string[] } {
  const base = join(FIXTURES, machine);
  const facts = JSON.parse(readFileSync(join(base, 'host.json'), 'utf8')) as Omit<
    InspectionHost,
    'readText' | 'exists' | 'run' | 'volumes'
  > & { volumes: Awaited<ReturnType<InspectionHost['volumes']>> };
  const calls: string[] = [];
  const callCount = new Map<string, number>();
  const file = (path: string): string => join(base, 'files', path);
  return {
    ...facts,
    calls,
    volumes: () => Promise.resolve(structuredClone(facts.volumes)),
    readText: (path) =>
      Promise.resolve(existsSync(file(path)) ? readFileSync(file(path), 'utf8') : null),
    exists: (path) => Promise.resolve(existsSync(file(path))),
    run: (command, args): Promise<ToolOutput> => {
      calls.push([command, ...args].join(' '));
      const sequence = join(base, 'tools', `${command}.calls.json`);
      if (existsSync(sequence)) {
        const n = callCount.get(command) ?? 0;
        callCount.set(command, n + 1);
        const answers = JSON.parse(readFileSync(sequence, 'utf8')) as {
          exitCode: number;
          stdout?: string;
          stderr?: string;
        }[];
        const answer = answers[Math.min(n, answers.length - 1)] as (typeof answers)[number];
        return Promise.resolve({
          missing: false,
          exitCode: answer.exitCode,
          stdout: answer.stdout ? readFileSync(join(base, 'tools', answer.stdout), 'utf8') : '',
          stderr: answer.stderr ?? '',
        });
      }
      const out = join(base, 'tools', `${command}.out`);
      if (!existsSync(out))
        return Promise.resolve({ missing: true, exitCode: null, stdout: '', stderr: '' });
      return Promise.resolve({
        missing: false,
        exitCode: 0,
        stdout: readFileSync(out, 'utf8'),
        stderr: '',
      });
    },
  };
}
