import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { P2V_BIN, startAgentProcess } from '../helpers/agent-process.ts';

function p2v(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [P2V_BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the p2v command line', () => {
  it('has help for every command', () => {
    const top = p2v(['--help']);
    assert.equal(top.status, 0);
    for (const command of ['agent', 'migrate', 'report', 'demo']) {
      assert.match(top.stdout, new RegExp(`\\b${command}\\b`));
      const help = p2v([command, '--help']);
      assert.equal(help.status, 0, `${command} --help`);
      assert.match(help.stdout, /Usage: p2v/);
    }
    assert.match(p2v(['migrate', '--help']).stdout, /--downtime-target/);
  });

  it('runs from its bundle directly too, as an installed copy runs it', async () => {
    const { ensureBundle } = await import('../../scripts/bundles.js');
    const bundle = await ensureBundle('cli');
    const direct = spawnSync(process.execPath, [bundle, 'migrate', '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(direct.status, 0, direct.stderr);
    assert.match(direct.stdout, /Usage: p2v migrate/);
  });

  it('says what is missing or wrong, with exit code 2, before touching anything', () => {
    const missing = p2v(['migrate', '--source', '/tmp']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /required option '--target/);
    const badTarget = p2v([
      'migrate',
      '--source',
      '/tmp',
      '--target',
      'nohost',
      '--token',
      't',
      '--fingerprint',
      'f',
    ]);
    assert.equal(badTarget.status, 2);
    assert.match(badTarget.stderr, /not HOST:PORT: nohost/);
    // A well-formed migrate command line, with `extra` that should be refused.
    const migrateWith = (extra: string[]) =>
      p2v([
        'migrate',
        '--source',
        '/tmp',
        '--target',
        '127.0.0.1:1',
        '--token',
        't',
        '--fingerprint',
        'f',
        ...extra,
      ]);
    const badSize = migrateWith(['--threshold', 'lots']);
    assert.equal(badSize.status, 2);
    assert.match(badSize.stderr, /not a size: lots/);
    const badBridge = migrateWith([
      '--vm',
      'direct',
      '--vm-plan',
      '/nonexistent/plan.json',
      '--vm-bridge',
      'br0 up',
    ]);
    assert.equal(badBridge.status, 2);
    assert.match(badBridge.stderr, /--vm-bridge must name a network interface .* not "br0 up"/);
    const noState = p2v(['report', '--state', '/nonexistent/state', '--out', '/tmp/x']);
    assert.equal(noState.status, 2);
    assert.match(noState.stderr, /no migration state in \/nonexistent\/state/);
  });

  it('refuses a VM whose volume the copy would leave empty (another filesystem mounted below the source), before anything is sent', (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('SKIPPED LOUDLY: a mount in a namespace of its own needs root');
      return;
    }
    const base = mkdtempSync(join(tmpdir(), 'p2v-vm-volumes-'));
    for (const dir of ['src/var', 'var-volume', 'state'])
      mkdirSync(join(base, dir), { recursive: true });
    writeFileSync(join(base, 'var-volume/log'), 'the source’s /var\n');
    const volume = (mountpoint: string) => ({
      role: 'filesystem',
      sizeBytes: 64 * 1024 * 1024,
      fsType: 'ext4',
      label: null,
      uuid: null,
      mountpoint,
    });
    const plan = join(base, 'plan.json');
    writeFileSync(
      plan,
      JSON.stringify({ table: 'dos', bootMode: 'bios', partitions: [volume('/'), volume('/var')] }),
    );
    // /var is a filesystem of its own on the source: a bind mount, seen only by this command.
    const script = `mount --bind "$1/var-volume" "$1/src/var" && exec "$2" "$3" migrate --source "$1/src:/" --target 127.0.0.1:1 --token t --fingerprint f --state "$1/state" --no-default-excludes --vm direct --vm-plan "$1/plan.json"`;
    const run = spawnSync(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', base, process.execPath, P2V_BIN],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(run.status, 1, run.stderr);
    assert.match(
      run.stderr,
      /Nothing was copied.*the VM would get a volume with nothing in it: \/var \(ext4\) is another filesystem mounted below the folders to move.*Add \/var to the folders to move \(--source/,
    );
    assert.doesNotMatch(run.stderr, /connect|ECONNREFUSED/, 'refused before any connection');
  });

  it('fails clearly on a wrong token or fingerprint, and when no agent listens', async () => {
    const base = mkdtempSync(join(tmpdir(), 'p2v-cli-'));
    const agent = await startAgentProcess([
      '--root',
      join(base, 'root'),
      '--state',
      join(base, 'agent-state'),
    ]);
    try {
      const common = [
        'migrate',
        '--source',
        `${base}:/`,
        '--target',
        `${agent.host}:${agent.port}`,
        '--state',
        join(base, 's'),
      ];
      const token = p2v([...common, '--token', 'wrong', '--fingerprint', agent.fingerprint]);
      assert.equal(token.status, 1);
      assert.match(token.stderr, /refused the pairing token/);
      const fingerprint = p2v([...common, '--token', agent.token, '--fingerprint', 'AA:BB']);
      assert.equal(fingerprint.status, 1);
      assert.match(fingerprint.stderr, /different certificate than the one you confirmed/);
    } finally {
      await agent.stop();
    }
    const nobody = p2v([
      'migrate',
      '--source',
      `${base}:/`,
      '--target',
      `${agent.host}:${agent.port}`,
      '--token',
      't',
      '--fingerprint',
      'f',
      '--state',
      join(base, 's2'),
    ]);
    assert.equal(nobody.status, 1);
    assert.match(nobody.stderr, /Could not reach the agent/);
  });

  it('keeps the pairing token off a logged console with --no-show-token, and pairs with the kept one', async () => {
    const base = mkdtempSync(join(tmpdir(), 'p2v-cli-'));
    mkdirSync(join(base, 'source'));
    writeFileSync(join(base, 'source/data.txt'), 'kept\n');
    const state = join(base, 'agent-state');
    const agent = await startAgentProcess([
      '--root',
      join(base, 'root'),
      '--state',
      state,
      '--no-show-token',
    ]);
    try {
      const token = readFileSync(join(state, 'pairing-token'), 'utf8').trim();
      assert.equal(agent.events[0]?.token, undefined, 'the listening line has no token');
      assert.ok(!JSON.stringify(agent.events).includes(token), 'nor any line after it');
      const run = p2v([
        'migrate',
        '--source',
        `${join(base, 'source')}:/`,
        '--target',
        `${agent.host}:${agent.port}`,
        '--token',
        token,
        '--fingerprint',
        agent.fingerprint,
        '--state',
        join(base, 's'),
        '--yes',
      ]);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(readFileSync(join(base, 'root/data.txt'), 'utf8'), 'kept\n');
    } finally {
      await agent.stop();
    }
    // What a technician (or a VM's console log) reads when the agent starts without --json.
    const plain = spawn(process.execPath, [
      P2V_BIN,
      'agent',
      '--root',
      join(base, 'root'),
      '--state',
      state,
      '--no-show-token',
    ]);
    let printed = '';
    for await (const chunk of plain.stdout) {
      printed += String(chunk);
      if (printed.includes('pairing token:') && printed.endsWith('\n')) break;
    }
    plain.kill('SIGTERM');
    assert.match(printed, /pairing token: not shown \(kept in .*agent-state\/pairing-token\)/);
    assert.ok(!printed.includes(readFileSync(join(state, 'pairing-token'), 'utf8').trim()));
  });
});
