import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { migrateArgs, P2V_BIN, startAgentProcess } from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

describe('a file the source cannot read', () => {
  it(
    'is reported and left out, and the migration still completes',
    { skip: asRoot ? false : 'needs root to run the source as another user' },
    async () => {
      const base = await tempDir();
      const source = join(base, 'source');
      await mkdir(source);
      await writeFile(join(source, 'readable.txt'), 'fine\n');
      await writeFile(join(source, 'secret.key'), 'no\n');
      await chmod(join(source, 'secret.key'), 0o000);
      await mkdir(join(base, 'state'));
      await chown(join(base, 'state'), NOBODY, NOBODY);
      await chmod(base, 0o755);
      const agent = await startAgentProcess([
        '--root',
        join(base, 'target'),
        '--state',
        join(base, 'agent-state'),
      ]);
      try {
        // The source runs as an ordinary user, for whom the key file is unreadable.
        const child = spawn(
          process.execPath,
          [P2V_BIN, ...migrateArgs(agent, source, ['--state', join(base, 'state')])],
          {
            uid: NOBODY,
            gid: NOBODY,
            stdio: ['ignore', 'pipe', 'inherit'],
            env: { ...process.env, HOME: join(base, 'state') },
          },
        );
        const events: Record<string, unknown>[] = [];
        createInterface({ input: child.stdout }).on('line', (line) =>
          events.push(JSON.parse(line) as Record<string, unknown>),
        );
        const code = await new Promise((resolve) => child.once('close', resolve));
        assert.equal(code, 0, 'the migration completed');
        const warnings = events.filter((e) => e.type === 'warning').map((e) => String(e.message));
        assert.equal(
          warnings.filter((w) => w.includes('secret.key')).length,
          1,
          `reported once: ${warnings.join('; ')}`,
        );
        assert.ok(existsSync(join(base, 'target/readable.txt')));
        assert.ok(!existsSync(join(base, 'target/secret.key')));
      } finally {
        await agent.stop();
      }
    },
  );
});
