import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startAgent } from '../../engine/agent/agent-server.ts';
import { AgentClient } from '../../engine/source/agent-client.ts';
import type { VmRequest } from '../../shared/vm-image.ts';
import { SMALL_ROOT_PLAN } from '../helpers/disk-plans.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const REQUEST: VmRequest = {
  plan: SMALL_ROOT_PLAN,
  format: 'qcow2',
  boot: 'direct',
  memoryMiB: 512,
  cpus: 1,
  handoverCommand: null,
};

describe('asking the agent for the VM', () => {
  it('says clearly when it has no one-file agent to put into the VM, and builds nothing', async () => {
    const base = await tempDir();
    const agent = await startAgent({
      root: join(base, 'received'),
      stateDir: join(base, 'agent-state'),
      agentBinary: join(base, 'no-such-agent'),
    });
    const client = await AgentClient.connect(agent);
    try {
      await assert.rejects(
        client.startVm(REQUEST, () => undefined),
        (error: Error & { code?: string }) =>
          error.code === 'VM_FAILED' && /npm run build:agent/.test(error.message),
      );
      const answer = await client.request<'ack'>({ t: 'ping' });
      assert.equal(answer.t, 'ack', 'the session goes on after the refusal');
    } finally {
      await client.close();
      await agent.close();
    }
  });

  it('refuses a malformed VM request as a bad frame, before anything runs', async () => {
    const base = await tempDir();
    const agent = await startAgent({
      root: join(base, 'received'),
      stateDir: join(base, 'agent-state'),
    });
    const client = await AgentClient.connect(agent);
    try {
      await assert.rejects(
        client.startVm({ ...REQUEST, cpus: 0 }, () => undefined),
        (error: Error & { code?: string }) => error.code === 'BAD_FRAME',
      );
    } finally {
      await client.close().catch(() => undefined);
      await agent.close();
    }
  });
});
