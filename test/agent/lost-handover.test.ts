import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runHandoverCommand } from '../../engine/agent/handover-command.ts';
import { shellQuote } from '../../engine/shell-command.ts';
import { AgentClient } from '../../engine/source/agent-client.ts';
import { startAgentProcess, type AgentProcess } from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MIGRATION = 'm-lost-handover';

/**
 * An agent that answered a stop, then was killed (SIGKILL) after it wrote down a handover
 * attempt: handover.json says `handing-over` with the attempt's name, and whether the command
 * started is for the agent's next run to find out.
 */
async function agentKilledWhileHandingOver(): Promise<{
  base: string;
  ran: string;
  start: () => Promise<AgentProcess>;
  attempt: string;
}> {
  const base = await tempDir('p2v-lost-handover-');
  const ran = join(base, 'ran');
  const args = [
    '--root',
    join(base, 'target'),
    '--state',
    join(base, 'state'),
    '--listen',
    '127.0.0.1:0',
    '--on-handover',
    `echo ran >> ${shellQuote(ran)}; echo the program started`,
  ];
  const start = (): Promise<AgentProcess> => startAgentProcess(args);
  const first = await start();
  await ask(first, 'stop');
  await new Promise<void>((resolve) => {
    first.child.once('exit', () => resolve());
    first.child.kill('SIGKILL');
  });
  const attempt = 'a1b2c3d4e5f6';
  const file = join(base, 'state', 'handover.json');
  const record = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  await writeFile(file, JSON.stringify({ ...record, state: 'handing-over', attempt }));
  return { base, ran, start, attempt };
}

async function ask(
  agent: AgentProcess,
  t: 'stop' | 'handover',
): Promise<{ exitCode?: number | null; output?: string }> {
  const client = await AgentClient.connect(agent, { migration: MIGRATION });
  try {
    return (await client.request({ t, migration: MIGRATION })) as {
      exitCode?: number | null;
      output?: string;
    };
  } finally {
    await client.close();
  }
}

function timesRun(ran: string): number {
  return existsSync(ran) ? readFileSync(ran, 'utf8').split('\n').filter(Boolean).length : 0;
}

describe('a handover the agent lost track of when it was killed', () => {
  it('starts the command once when the killed agent had written down the ask but not started it', async () => {
    const { ran, start } = await agentKilledWhileHandingOver();
    const agent = await start();
    try {
      const answer = await ask(agent, 'handover');
      assert.equal(answer.exitCode, 0);
      assert.match(answer.output ?? '', /the program started/);
      const again = await ask(agent, 'handover');
      assert.deepEqual(again, { ...answer, id: (again as { id?: number }).id });
      assert.equal(timesRun(ran), 1, 'the handover command ran once');
    } finally {
      await agent.stop();
    }
  });

  it('waits for the command an earlier run started and answers its result without running it again', async () => {
    const { base, ran, start, attempt } = await agentKilledWhileHandingOver();
    // The earlier run's wrapper, still running: it holds the attempt's claim with its pid.
    const wrapper = spawn(process.execPath, ['-e', 'process.stdin.resume()'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const claim = join(base, 'state', `handover-${attempt}.claim`);
    await writeFile(claim, `${wrapper.pid}\n`);
    const agent = await start();
    try {
      const answer = ask(agent, 'handover');
      await writeFile(
        join(base, 'state', `handover-${attempt}.log`),
        'started by the earlier run\n',
      );
      await writeFile(join(base, 'state', `handover-${attempt}.exit`), '0\n');
      wrapper.stdin.end();
      const { exitCode, output } = await answer;
      assert.equal(exitCode, 0);
      assert.equal(output, 'started by the earlier run\n');
      assert.equal(timesRun(ran), 0, 'the command was not run a second time');
    } finally {
      wrapper.kill();
      await agent.stop();
    }
  });

  it('a wrapper that comes after the restarted agent took its claim runs nothing', async () => {
    const base = await tempDir('p2v-lost-handover-');
    const ran = join(base, 'ran');
    await writeFile(join(base, 'handover-late.claim'), 'abandoned\n');
    const result = await runHandoverCommand(`echo ran >> ${shellQuote(ran)}`, base, base, 'late');
    assert.equal(result.exitCode, null);
    assert.equal(timesRun(ran), 0);
    const own = await runHandoverCommand(`echo ran >> ${shellQuote(ran)}`, base, base, 'next');
    assert.equal(own.exitCode, 0);
    assert.equal(timesRun(ran), 1);
  });
});
