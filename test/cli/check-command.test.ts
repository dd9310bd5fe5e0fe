import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { hashFile } from '../../engine/checksum/block-checksums.ts';
import { P2V_BIN, startAgentProcess, type AgentProcess } from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const run = promisify(execFile);

/** Runs `p2v …` and resolves with its exit code and output, whatever the code. */
async function p2v(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [P2V_BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('p2v inspect, profiles and check', () => {
  let base: string;
  let agent: AgentProcess;
  before(async () => {
    base = await tempDir();
    agent = await startAgentProcess(['--root', join(base, 'vm'), '--state', join(base, 'state')]);
  });
  after(() => agent.stop());

  const targetArgs = () => [
    '--target',
    `${agent.host}:${agent.port}`,
    '--token',
    agent.token,
    '--fingerprint',
    agent.fingerprint,
  ];

  it('inspect --json prints this machine', async () => {
    const { code, stdout } = await p2v(['inspect', '--json']);
    assert.equal(code, 0);
    const machine = JSON.parse(stdout) as { os: { id: string } };
    assert.ok((await readFile('/etc/os-release', 'utf8')).includes(`ID=${machine.os.id}`));
  });

  it('profiles lists the built-in ones', async () => {
    const { stdout } = await p2v(['profiles']);
    assert.match(stdout, /^hyperv .*\nkvm-virtio .*\nvmware-esxi /m);
  });

  it('check sends the difference files to the agent and reports them verified', async () => {
    const tree = join(base, 'drivers');
    await mkdir(join(tree, 'extra'), { recursive: true });
    await writeFile(join(tree, 'extra', 'virtio_blk.ko'), 'a newer build of the module');
    const args = ['check', '--profile', 'kvm-virtio', ...targetArgs(), '--driver-tree', tree];
    const listed = await p2v([...args, '--json']);
    const dry = JSON.parse(listed.stdout) as {
      driverFiles: { files: unknown[]; bytesOnWire: number };
    };
    assert.equal(dry.driverFiles.files.length, 1);
    assert.equal(dry.driverFiles.bytesOnWire, 0);
    const sent = await p2v([...args, '--send-drivers']);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /Difference files: 1 .* sent and verified on the VM/);
    assert.equal(
      await hashFile(join(base, 'vm', 'var/lib/p2v/driver-staging/extra/virtio_blk.ko')),
      await hashFile(join(tree, 'extra', 'virtio_blk.ko')),
    );
  });

  it('check exits 1 and names the blocker when the target has no room', async () => {
    const { code, stdout } = await p2v([
      'check',
      '--profile',
      'kvm-virtio',
      ...targetArgs(),
      '--size',
      '1000000GiB',
    ]);
    assert.equal(code, 1);
    assert.match(stdout, /BLOCKED:\n {2}XX Not enough space on the target/);
  });

  it('bad options and a bad profile file are clear errors', async () => {
    const noToken = await p2v(['check', '--profile', 'kvm-virtio', '--target', '127.0.0.1:1']);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /--target needs --token and --fingerprint/);
    const badCondition = await p2v([
      'check',
      '--profile',
      'kvm-virtio',
      '--condition',
      'sometimes',
    ]);
    assert.equal(badCondition.code, 2);
    const file = join(base, 'broken.json');
    await writeFile(file, '{"id": "x"}');
    const badProfile = await p2v(['check', '--profile', file]);
    assert.equal(badProfile.code, 1);
    assert.match(badProfile.stderr, /The VM profile is not valid.*broken\.json: name/);
  });
});
