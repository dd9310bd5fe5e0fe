import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { hashFile } from '../../engine/checksum/block-checksums.ts';
import { localManifest } from '../../engine/drivers/driver-manifest.ts';
import { syncDriverFiles } from '../../engine/drivers/sync-driver-files.ts';
import { loadProfile } from '../../engine/profiles/load-profile.ts';
import { AgentClient } from '../../engine/source/agent-client.ts';
import { P2VError } from '../../shared/errors.ts';
import { startAgentProcess, type AgentProcess } from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const KERNEL = '6.1.0-18-amd64';
const MODULES = `lib/modules/${KERNEL}/kernel/drivers`;

async function put(root: string, path: string, data: Buffer | string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), data);
}

describe('difference files synced to the VM through the engine', () => {
  let base: string;
  let sourceTree: string;
  let agentRoot: string;
  let agent: AgentProcess;
  const shared = randomBytes(40_000);

  before(async () => {
    base = await tempDir();
    sourceTree = join(base, 'source-drivers');
    agentRoot = join(base, 'vm-root');
    // The source's driver tree: newer builds of two modules, one the VM lacks, one shared.
    await put(sourceTree, `${MODULES}/block/virtio_blk.ko`, randomBytes(90_000));
    await put(sourceTree, `${MODULES}/net/virtio_net.ko`, randomBytes(150_000));
    await put(sourceTree, `${MODULES}/scsi/virtio_scsi.ko`, randomBytes(70_000));
    await put(sourceTree, `${MODULES}/virtio/virtio_pci.ko`, shared);
    // The VM's tree under the staging location: older builds, the shared one, one of its own.
    const staged = join(agentRoot, 'var/lib/p2v/driver-staging');
    await put(staged, `${MODULES}/block/virtio_blk.ko`, randomBytes(88_000));
    await put(staged, `${MODULES}/net/virtio_net.ko`, randomBytes(150_000));
    await put(staged, `${MODULES}/virtio/virtio_pci.ko`, shared);
    await put(staged, `${MODULES}/hv/hv_vmbus.ko`, 'the VM’s own module');
    agent = await startAgentProcess(['--root', agentRoot, '--state', join(base, 'agent-state')]);
  });
  after(() => agent.stop());

  it('sends only the files that differ, and the VM then holds what the plan promised', async () => {
    const profile = await loadProfile('kvm-virtio');
    const target = profile.driverLocation.linux as string;
    const staged = join(agentRoot, target);
    const vmOwn = await stat(join(staged, `${MODULES}/hv/hv_vmbus.ko`));
    const sharedBefore = await stat(join(staged, `${MODULES}/virtio/virtio_pci.ko`));

    const plan = await syncDriverFiles(agent, sourceTree, target, { dryRun: true });
    assert.deepEqual(
      plan.files.map((f) => [f.path, f.reason]),
      [
        [`${MODULES}/block/virtio_blk.ko`, 'differs'],
        [`${MODULES}/net/virtio_net.ko`, 'differs'],
        [`${MODULES}/scsi/virtio_scsi.ko`, 'missing'],
      ],
    );
    assert.equal(plan.bytesOnWire, 0, 'a dry run sends nothing');

    const done = await syncDriverFiles(agent, sourceTree, target);
    assert.equal(done.verified, true);
    assert.deepEqual(done.files, plan.files);
    for (const file of plan.files)
      assert.equal(await hashFile(join(staged, file.path)), file.hash, file.path);
    const sent = plan.files.reduce((sum, f) => sum + f.size, 0);
    assert.ok(done.bytesOnWire < sent * 1.2, `${done.bytesOnWire} bytes on the wire for ${sent}`);
    // The shared file was not rewritten and the VM's own module was left alone.
    assert.equal(
      (await stat(join(staged, `${MODULES}/virtio/virtio_pci.ko`))).ino,
      sharedBefore.ino,
    );
    assert.equal((await stat(join(staged, `${MODULES}/hv/hv_vmbus.ko`))).mtimeMs, vmOwn.mtimeMs);
    assert.equal(
      await readFile(join(staged, `${MODULES}/hv/hv_vmbus.ko`), 'utf8'),
      'the VM’s own module',
    );

    const source = await localManifest(sourceTree);
    const again = await syncDriverFiles(agent, sourceTree, target, { dryRun: true });
    assert.deepEqual(again.files, [], 'nothing differs any more');
    assert.equal(source.length, 4);
  });

  it('a staging path that leaves the root is refused, and nothing is written', async () => {
    await assert.rejects(
      syncDriverFiles(agent, sourceTree, '../outside'),
      (error) => error instanceof P2VError && error.code === 'BAD_PATH',
    );
  });

  it('the agent describes its machine and the space under its root', async () => {
    const client = await AgentClient.connect(agent);
    try {
      const answer = await client.request<'described'>({ t: 'describe' });
      const release = await readFile('/etc/os-release', 'utf8');
      assert.ok(release.includes(`ID=${answer.machine.os.id}`));
      assert.ok(answer.root.freeBytes > 0 && answer.root.freeBytes <= answer.root.totalBytes);
    } finally {
      await client.close();
    }
  });
});
