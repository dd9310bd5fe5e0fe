import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startAgent } from '../../engine/agent/agent-server.ts';
import { AgentClient } from '../../engine/source/agent-client.ts';
import { Request } from '../../engine/protocol/messages.ts';
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

  it('carries the bridge and the MAC choice to the agent, which refuses a bridge it does not have before building', async () => {
    const base = await tempDir();
    const agent = await startAgent({
      root: join(base, 'received'),
      stateDir: join(base, 'agent-state'),
      // Any file will do: the bridge is checked before the agent is copied anywhere.
      agentBinary: process.execPath,
    });
    const client = await AgentClient.connect(agent);
    try {
      await assert.rejects(
        client.startVm({ ...REQUEST, bridge: 'p2vnobr0', nicMac: 'source' }, () => undefined),
        (error: Error & { code?: string }) =>
          error.code === 'BAD_ARGUMENT' &&
          error.message.includes('no bridge named p2vnobr0') &&
          error.message.includes('ip link add p2vnobr0 type bridge'),
      );
      const parsed = Request.parse({
        t: 'vmStart',
        id: 1,
        vm: { ...REQUEST, bridge: 'br0', nicMac: 'source' },
      });
      assert.ok(parsed.t === 'vmStart');
      assert.equal(parsed.vm.nicMac, 'source', 'the wizard’s "keep the source’s MAC" arrives');
      assert.equal(parsed.vm.bridge, 'br0');
      for (const vm of [
        { ...REQUEST, bridge: 'br0; reboot' },
        { ...REQUEST, nicMac: 'not-a-mac' },
      ])
        assert.equal(Request.safeParse({ t: 'vmStart', id: 1, vm }).success, false);
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
