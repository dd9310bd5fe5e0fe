import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
    const badSize = p2v([
      'migrate',
      '--source',
      '/tmp',
      '--target',
      '127.0.0.1:1',
      '--token',
      't',
      '--fingerprint',
      'f',
      '--threshold',
      'lots',
    ]);
    assert.equal(badSize.status, 2);
    assert.match(badSize.stderr, /not a size: lots/);
    const noState = p2v(['report', '--state', '/nonexistent/state', '--out', '/tmp/x']);
    assert.equal(noState.status, 2);
    assert.match(noState.stderr, /no migration state in \/nonexistent\/state/);
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
});
