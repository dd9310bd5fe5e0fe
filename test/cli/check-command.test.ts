import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { hashFile } from '../../engine/checksum/block-checksums.ts';
import {
  migrateArgs,
  P2V_BIN,
  startAgentProcess,
  targetArgs,
  type AgentProcess,
} from '../helpers/agent-process.ts';
import type { MigrationReport } from '../../shared/report.ts';
import { readdir } from 'node:fs/promises';
import { tempDir } from '../helpers/temp-dir.ts';

const run = promisify(execFile);

/** Runs `p2v …` and resolves with its exit code and output, whatever the code. */
async function p2v(
  args: string[],
  locale: NodeJS.ProcessEnv = { LC_ALL: 'C' },
): Promise<{ code: number; stdout: string; stderr: string }> {
  // The locale given, not the one this machine runs the tests in.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !['LC_ALL', 'LC_MESSAGES', 'LANG'].includes(name),
    ),
  );
  try {
    const { stdout, stderr } = await run(process.execPath, [P2V_BIN, ...args], {
      env: { ...env, ...locale },
    });
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

  const target = (): string[] => targetArgs(agent);

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
    const args = ['check', '--profile', 'kvm-virtio', ...target(), '--driver-tree', tree];
    const listed = await p2v([...args, '--json']);
    const dry = JSON.parse(listed.stdout) as {
      driverFiles: { files: unknown[]; bytesOnWire: number };
    };
    assert.equal(dry.driverFiles.files.length, 1);
    assert.equal(dry.driverFiles.bytesOnWire, 0);
    const sent = await p2v([...args, '--send-drivers']);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(
      sent.stdout,
      /Driver difference files: 1 \(27 B\) to \S+: sent and verified by checksum on the VM/,
    );
    assert.match(
      sent.stdout,
      /cp -a \/var\/lib\/p2v\/driver-staging\/lib\/modules\/\. \/lib\/modules\/ && depmod -a/,
    );
    assert.equal(
      await hashFile(join(base, 'vm', 'var/lib/p2v/driver-staging/extra/virtio_blk.ko')),
      await hashFile(join(tree, 'extra', 'virtio_blk.ko')),
    );
  });

  it('check --agent-in-vm takes the OS from the agent and sees the same identity on both', async () => {
    const result = await p2v([
      'check',
      '--profile',
      'kvm-virtio',
      ...target(),
      '--agent-in-vm',
      '--shared-network',
      '--json',
    ]);
    const check = JSON.parse(result.stdout) as {
      profile: { id: string; os: { id: string } };
      plan: { os: { relation: string } };
      preflight: { id: string; level: string; detail: string }[];
    };
    assert.equal(check.profile.id, 'kvm-virtio-live');
    assert.equal(check.plan.os.relation, 'same', 'the agent runs on this very machine');
    const identity = check.preflight.find((c) => c.id === 'duplicate-identity');
    assert.equal(identity?.level, 'warning');
    assert.match(identity?.detail ?? '', /hostname/);
  });

  it('check exits 1 and names the blocker when the target has no room', async () => {
    const { code, stdout } = await p2v([
      'check',
      '--profile',
      'kvm-virtio',
      ...target(),
      '--size',
      '1000000GiB',
    ]);
    assert.equal(code, 1);
    assert.match(
      stdout,
      /Blocked: fix these before the migration can start\.\n {2}XX Not enough space on the target/,
    );
  });

  it('check speaks Chinese in a zh locale, every line from the catalog; LC_ALL=C is English', async () => {
    const args = ['check', '--profile', 'kvm-virtio', ...target(), '--size', '1000000GiB'];
    const zh = await p2v(args, { LANG: 'zh_CN.UTF-8' });
    assert.equal(zh.code, 1);
    assert.match(zh.stdout, /^操作系统比较：源 /m);
    assert.match(zh.stdout, /^驱动：$/m);
    assert.match(zh.stdout, /^存在阻止项：解决后才能开始迁移。\n {2}XX 目标端空间不足：/m);
    // Sentences and headings, not names, paths or units: no English word of ours is left.
    for (const english of ['Profile', 'Drivers', 'Pre-flight', 'Blocked', 'Not enough', 'free'])
      assert.ok(!zh.stdout.includes(english), `"${english}" in:\n${zh.stdout}`);
    const posix = await p2v(args, { LANG: 'zh_CN.UTF-8', LC_ALL: 'C' });
    assert.match(posix.stdout, /^Blocked: /m, 'LC_ALL comes before LANG');
    // An error's reason too; its detail (the option, the value) stays as the engine said it.
    const bad = await p2v(['check', '--profile', 'kvm-virtio', '--condition', 'sometimes'], {
      LANG: 'zh_CN.UTF-8',
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^p2v: 缺少选项或选项无效。 \(--condition must be one of /);
  });

  it('inspect speaks Chinese in a zh locale', async () => {
    const { code, stdout } = await p2v(['inspect'], { LANG: 'zh_CN.UTF-8' });
    assert.equal(code, 0);
    for (const line of [
      /^启动方式：/m,
      /^磁盘：$/m,
      /^卷：$/m,
      /^网络：$/m,
      /^已加载的驱动：\d+ 个/m,
    ])
      assert.match(stdout, line);
    assert.doesNotMatch(stdout, /^(Disks|Volumes|Network|Drivers):/m);
  });

  it('migrate speaks Chinese in a zh locale: the engine’s warnings and the rounds', async () => {
    const source = join(base, 'zh-app');
    await mkdir(source);
    await writeFile(join(source, 'data'), 'rows');
    execFileSync('mkfifo', [join(source, 'pipe')]);
    // An agent of its own: a migration handed over to the suite's agent would refuse the next.
    const own = await startAgentProcess([
      '--root',
      join(base, 'zh-vm'),
      '--state',
      join(base, 'zh-agent-state'),
    ]);
    try {
      const args = migrateArgs(own, source, ['--state', join(base, 'zh-state')]).filter(
        (a) => a !== '--json',
      );
      const result = await p2v(args, { LC_MESSAGES: 'zh_CN.UTF-8' });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^警告：pipe：.*（未复制）$/m);
      assert.match(result.stderr, /^同步轮次：.*；预计停机时间 /m);
      assert.match(result.stderr, /^未复制（目标端缺少）：1 个路径：pipe：/m);
      assert.match(result.stderr, /^迁移完成：0 轮，停机 /m);
      // Paths, units and the rate's own file aside, no English sentence of ours is left.
      const english = result.stderr
        .split('\n')
        .filter((line) => /\b(the|is|was|not|of|to)\b/i.test(line.replace(/\([^)]*\)/g, '')));
      assert.deepEqual(english, [], result.stderr);
    } finally {
      await own.stop();
    }
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

  it('migrate --profile checks first and keeps the plan and the driver files in the report', async () => {
    const source = join(base, 'app');
    await mkdir(join(source, 'data'), { recursive: true });
    await writeFile(join(source, 'data', 'table.db'), 'rows');
    const tree = join(base, 'drivers-2');
    await mkdir(tree);
    await writeFile(join(tree, 'virtio_scsi.ko'), 'module bytes');
    const out = join(base, 'report');
    const args = migrateArgs(agent, source, [
      '--state',
      join(base, 'migration-state'),
      '--report',
      out,
      '--profile',
      'kvm-virtio',
      '--driver-tree',
      tree,
      '--driver-target',
      'staging/drivers',
    ]);
    const result = await p2v(args);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.split('\n')[0] ?? '', /^\{"event":"check"/);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as MigrationReport;
    assert.equal(report.ok, true);
    assert.equal(report.check?.profile.id, 'kvm-virtio');
    assert.equal(report.check?.plan.drivers.length, 5);
    assert.deepEqual(
      report.check?.driverFiles?.files.map((f) => f.path),
      ['virtio_scsi.ko'],
    );
    assert.equal(report.check?.driverFiles?.verified, true);
    assert.equal(
      await readFile(join(base, 'vm', 'staging/drivers/virtio_scsi.ko'), 'utf8'),
      'module bytes',
    );
    const html = await readFile(join(out, 'report.html'), 'utf8');
    assert.match(html, /<h2>VM profile and drivers<\/h2>/);
    assert.match(
      html,
      /<h2>Driver difference files<\/h2><p>1 file\(s\) to staging\/drivers: sent and verified/,
    );
  });

  it('migrate --profile with a blocker copies nothing and says why', async () => {
    const source = join(base, 'blocked-app');
    await mkdir(source);
    await writeFile(join(source, 'file'), 'never copied');
    const profile = JSON.parse(
      await readFile(new URL('../../assets/profiles/hyperv.json', import.meta.url), 'utf8'),
    );
    const file = join(base, 'other-firmware.json');
    const os = (JSON.parse((await p2v(['inspect', '--json'])).stdout) as { bootMode: string })
      .bootMode;
    await writeFile(
      file,
      JSON.stringify({ ...profile, id: 'other', firmware: [os === 'uefi' ? 'bios' : 'uefi'] }),
    );
    const before = await readdir(join(base, 'vm'));
    const result = await p2v(
      migrateArgs(agent, source, ['--state', join(base, 'blocked-state'), '--profile', file]),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Nothing was copied/);
    assert.deepEqual(await readdir(join(base, 'vm')), before);
  });
});
