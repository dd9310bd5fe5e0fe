import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { inspectMachine } from '../../engine/inspection/inspect-machine.ts';
import { planDisk } from '../../engine/vm/disk-plan.ts';
import type { BuiltImage } from '../../shared/vm-image.ts';
import { P2V_BIN } from '../helpers/agent-process.ts';
import { fixtureHost } from '../helpers/fixture-host.ts';
import { SMALL_ROOT_PLAN, SMALL_ROOT_UUID } from '../helpers/disk-plans.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const run = promisify(execFile);

describe('the VM disk plan from the source’s inspection', () => {
  it('Debian on UEFI: the EFI system partition and the root, labels and UUIDs kept', async () => {
    const plan = planDisk(await inspectMachine([], fixtureHost('debian-12')));
    assert.equal(plan.table, 'gpt');
    assert.deepEqual(
      plan.partitions.map((p) => [p.role, p.fsType, p.mountpoint, p.uuid]),
      [
        ['esp', 'vfat', '/boot/efi', '6A1B-2C3D'],
        ['filesystem', 'ext4', '/', '1b4e28ba-2fa1-11d2-883f-0016d3cca427'],
      ],
    );
    assert.equal(plan.partitions[0]?.sizeBytes, 536870912, 'the ESP keeps its size');
  });

  it('Ubuntu on BIOS with LVM: an MBR disk, the logical volume becomes a partition', async () => {
    const plan = planDisk(await inspectMachine([], fixtureHost('ubuntu-22.04')));
    assert.equal(plan.table, 'dos');
    assert.deepEqual(
      plan.partitions.map((p) => [p.mountpoint, p.fsType]),
      [
        ['/boot', 'ext4'],
        ['/', 'ext4'],
      ],
    );
    assert.ok((plan.partitions[1]?.sizeBytes ?? 0) >= 12884901888, 'room for what / uses');
  });

  it('RHEL: XFS and swap are planned as they are; building refuses XFS with a clear message', async () => {
    const machine = await inspectMachine([], fixtureHost('rhel-8.9'));
    const plan = planDisk(machine);
    assert.deepEqual(
      plan.partitions.map((p) => [p.role, p.fsType]),
      [
        ['filesystem', 'xfs'],
        ['filesystem', 'xfs'],
        ['swap', 'swap'],
      ],
    );
    const base = await tempDir();
    const file = join(base, 'inspection.json');
    await writeFile(file, JSON.stringify(machine));
    const { stdout } = await run(process.execPath, [P2V_BIN, 'vm', 'plan', '--inspection', file]);
    await writeFile(join(base, 'plan.json'), stdout);
    await mkdir(join(base, 'tree'));
    const refused = await run(process.execPath, [
      P2V_BIN,
      'vm',
      'build',
      '--tree',
      join(base, 'tree'),
      '--plan',
      join(base, 'plan.json'),
      '--out',
      join(base, 'vm.qcow2'),
    ]).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(refused?.code, 2, 'the plan asks for what cannot be built');
    assert.match(
      refused?.stderr ?? '',
      /\/boot is xfs: the image builder makes ext2\/3\/4, vfat and swap/,
    );
  });

  it('a malformed plan file is a usage error naming the field, for vm build and migrate --vm', async () => {
    const base = await tempDir();
    const plan = join(base, 'plan.json');
    await writeFile(
      plan,
      JSON.stringify({ table: 'dos', bootMode: 'bios', partitions: [{ role: 'filesystem' }] }),
    );
    const refusal = (args: string[]) =>
      run(process.execPath, [P2V_BIN, ...args]).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
    const build = await refusal([
      'vm',
      'build',
      '--tree',
      base,
      '--plan',
      plan,
      '--out',
      join(base, 'vm.qcow2'),
    ]);
    assert.equal(build?.code, 2, 'vm build: exit 2');
    assert.match(build?.stderr ?? '', /disk plan .*plan\.json: partitions\.0\.sizeBytes/);
    // Refused before any connection: the target named here does not exist.
    const migrate = await refusal([
      'migrate',
      '--source',
      base,
      '--target',
      '127.0.0.1:9',
      '--token',
      't',
      '--fingerprint',
      'AB'.repeat(32),
      '--vm',
      'direct',
      '--vm-plan',
      plan,
      '--yes',
    ]);
    assert.equal(migrate?.code, 2, 'migrate --vm: exit 2');
    assert.match(migrate?.stderr ?? '', /--vm-plan .*plan\.json: partitions\.0\.sizeBytes/);
  });

  it('p2v vm build makes the image from a plan and says what it made', async () => {
    const base = await tempDir();
    const tree = join(base, 'tree');
    await mkdir(join(tree, 'etc'), { recursive: true });
    await writeFile(join(tree, 'etc/fstab'), `UUID=${SMALL_ROOT_UUID} / ext4 defaults 0 1\n`);
    await writeFile(join(base, 'plan.json'), JSON.stringify(SMALL_ROOT_PLAN));
    const vmBuild = (out: string, ...more: string[]) =>
      run(process.execPath, [
        P2V_BIN,
        'vm',
        'build',
        '--tree',
        tree,
        '--plan',
        join(base, 'plan.json'),
        '--out',
        join(base, out),
        ...more,
      ]);
    const { stdout } = await vmBuild('vm.qcow2', '--json');
    const image = JSON.parse(stdout) as BuiltImage;
    assert.equal(image.format, 'qcow2');
    assert.match(image.hash, /^[0-9a-f]{32}$/);
    assert.equal(image.partitions[0]?.startBytes, 1024 * 1024);
    // The copy left out /proc and /run entirely: the root still gets its mount points.
    execFileSync('qemu-img', ['convert', '-O', 'raw', image.path, join(base, 'check.raw')]);
    const listing = execFileSync(
      'debugfs',
      ['-R', 'ls -l /', `${join(base, 'check.raw')}?offset=${1024 * 1024}`],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    for (const dir of ['proc', 'sys', 'dev', 'run', 'tmp'])
      assert.match(listing, new RegExp(`\\s${dir}\\n`));
    assert.match(listing, /41777 .* tmp\n/, '/tmp is world-writable and sticky');

    // For VMware a .vmx beside the vmdk; for Hyper-V the PowerShell that makes the VM.
    for (const [format, companion, expect] of [
      [
        'vmdk',
        'vm.vmx',
        /scsi0:0.fileName = "vm.vmdk"[\s\S]*firmware = "bios"|firmware = "bios"[\s\S]*scsi0:0.fileName = "vm.vmdk"/,
      ],
      ['vhdx', 'vm.hyperv.ps1', /New-VM -Name 'small-vm' -Generation 1 -MemoryStartupBytes 1024MB/],
    ] as const) {
      const { stdout: said } = await vmBuild(
        `vm.${format}`,
        '--format',
        format,
        '--name',
        'small-vm',
        '--memory',
        '1024',
        '--cpus',
        '1',
      );
      assert.match(
        said,
        new RegExp(companion.replace('.', '\\.')),
        `the ${format} build names its ${companion}`,
      );
      assert.match(await readFile(join(base, companion), 'utf8'), expect);
    }
  });
});
