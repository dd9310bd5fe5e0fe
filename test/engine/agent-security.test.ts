import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { RunningAgent } from '../../engine/agent/agent-server.ts';
import { startAgent } from '../../engine/agent/agent-server.ts';
import { Connection } from '../../engine/protocol/connection.ts';
import { encodeFrame, FrameType } from '../../engine/protocol/frame.ts';
import { PROTOCOL_VERSION } from '../../engine/protocol/messages.ts';
import { AgentClient } from '../../engine/source/agent-client.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const times = { mtimeNs: '1700000000000000000', atimeNs: '1700000000000000000' };
const owner = { uid: 0, gid: 0 };

describe('the agent refuses what it must, stays up, and writes nothing outside its root', () => {
  let base: string;
  let root: string;
  let outside: string;
  let agent: RunningAgent;
  const log: { event: string; detail?: Record<string, unknown> }[] = [];
  const events = new EventEmitter();
  const address = (overrides: Partial<{ token: string; fingerprint: string }> = {}) => ({
    host: agent.host,
    port: agent.port,
    token: agent.token,
    fingerprint: agent.fingerprint,
    ...overrides,
  });

  /** A raw TLS connection, as an attacker or a broken client would open it. */
  const rawConnection = (): Promise<Connection> =>
    new Promise((resolve, reject) => {
      const socket = connect(
        { host: agent.host, port: agent.port, rejectUnauthorized: false },
        () => resolve(new Connection(socket)),
      );
      socket.once('error', reject);
    });

  /** Resolves once every session the agent accepted has ended (and cleaned up after itself). */
  const allSessionsClosed = async (): Promise<void> => {
    const count = (name: string): number => log.filter((e) => e.event === name).length;
    while (count('disconnected') < count('connection')) await once(events, 'disconnected');
  };

  const expectStillServing = async (): Promise<void> => {
    const client = await AgentClient.connect(address());
    await client.request({ t: 'ping' });
    await client.close();
  };

  before(async () => {
    base = await tempDir();
    root = join(base, 'root');
    outside = join(base, 'outside');
    await mkdir(outside);
    agent = await startAgent({
      root,
      stateDir: join(base, 'state'),
      log: (event, detail) => {
        log.push(detail ? { event, detail } : { event });
        events.emit(event);
      },
    });
  });
  after(async () => {
    assert.deepEqual(await readdir(outside), [], 'nothing was ever written outside the root');
    await agent.close();
  });

  it('refuses a request before pairing', async () => {
    const conn = await rawConnection();
    await conn.send({ t: 'mkdir', id: 1, path: 'nope', mode: 0o755, ...owner, ...times });
    const answer = await conn.nextMessage();
    assert.equal(answer.t, 'fail');
    assert.equal((answer.error as { code: string }).code, 'AUTH_REQUIRED');
    await assert.rejects(conn.next(), 'the agent closes the connection');
    assert.deepEqual(await readdir(root), []);
    await expectStillServing();
  });

  it('refuses a wrong token and an empty one', async () => {
    for (const token of ['wrong-token', '', `${agent.token}x`]) {
      await assert.rejects(AgentClient.connect(address({ token })), { code: 'AUTH_FAILED' });
    }
    await expectStillServing();
  });

  it('sends nothing, not even the token, to a certificate that is not the confirmed one', async () => {
    const paired = log.filter(
      (e) => e.event === 'paired' || e.event === 'refused-connection',
    ).length;
    const wrong = agent.fingerprint.replace(
      /^../,
      agent.fingerprint.startsWith('00') ? '11' : '00',
    );
    await assert.rejects(AgentClient.connect(address({ fingerprint: wrong })), {
      code: 'FINGERPRINT_MISMATCH',
    });
    // Counted once the agent has finished with that connection, so a late hello would show.
    await allSessionsClosed();
    assert.equal(
      log.filter((e) => e.event === 'paired' || e.event === 'refused-connection').length,
      paired,
    );
  });

  it('refuses another protocol version', async () => {
    const conn = await rawConnection();
    await conn.send({ t: 'hello', id: 0, version: PROTOCOL_VERSION + 1, token: agent.token });
    const answer = await conn.nextMessage();
    assert.equal((answer.error as { code: string }).code, 'PROTOCOL_VERSION');
  });

  it('refuses path traversal in every form, request by request, and keeps the session usable', async () => {
    await symlink(outside, join(root, 'escape'));
    const client = await AgentClient.connect(address());
    const badPaths = [
      '../x',
      '../../etc/passwd',
      '/etc/passwd',
      '/',
      'a/../../x',
      'a/../x',
      './x',
      'a/./b',
      '.',
      '..',
      'a//b',
      'a/',
      'x\u0000y',
      '\u0000',
      'escape/x',
      'escape/deeper/x',
      'name\u0100wide',
      `${'n'.repeat(256)}`,
    ];
    for (const path of badPaths) {
      const label = JSON.stringify(path);
      await assert.rejects(
        client.request({ t: 'mkdir', path, mode: 0o755, ...owner, ...times }),
        { code: 'BAD_PATH' },
        `mkdir ${label}`,
      );
      await assert.rejects(
        client.request({ t: 'remove', path }),
        { code: 'BAD_PATH' },
        `remove ${label}`,
      );
      await assert.rejects(
        client.request({ t: 'symlink', path, target: '/etc/passwd', ...owner, ...times }),
        { code: 'BAD_PATH' },
        `symlink ${label}`,
      );
      await assert.rejects(
        client.request({ t: 'link', path: 'ok-link', existing: path }),
        { code: 'BAD_PATH' },
        `link to ${label}`,
      );
      await assert.rejects(
        client.request({ t: 'meta', path, kind: 'file', mode: 0o777, ...owner, ...times }),
        { code: 'BAD_PATH' },
        `meta ${label}`,
      );
      const signature = client.requestSignature(path, 4096);
      await assert.rejects(signature.head(), { code: 'BAD_PATH' }, `sig ${label}`);
      const put = client.beginPut({ path, size: 5, mode: 0o644, ...owner, ...times, base: false });
      await client.sendBlocks(0, Buffer.from('evil!'));
      await client.endPut(put.id, '0'.repeat(32));
      await assert.rejects(put.done, { code: 'BAD_PATH' }, `put ${label}`);
    }
    await client.request({ t: 'ping' });
    await client.close();
    assert.deepEqual((await readdir(root)).sort(), ['escape']);
  });

  it('removes a symlink itself, never what it points to', async () => {
    const client = await AgentClient.connect(address());
    await client.request({ t: 'remove', path: 'escape' });
    await client.close();
    assert.deepEqual(await readdir(root), []);
  });

  it('closes the connection on malformed and truncated frames, and serves the next client', async () => {
    const attacks: Buffer[] = [
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01]),
      Buffer.concat(encodeFrame(9 as FrameType, Buffer.from('x'))),
      Buffer.concat(encodeFrame(FrameType.message, Buffer.from('not json'))),
      Buffer.concat(encodeFrame(FrameType.message, Buffer.from('{"t":"launch-missiles","id":1}'))),
      Buffer.concat(encodeFrame(FrameType.message, Buffer.from('[1,2,3]'))),
      Buffer.concat(encodeFrame(FrameType.blocks, Buffer.from('0123456789'))),
      Buffer.concat(encodeFrame(FrameType.message, Buffer.from('{"t":"put","id":1}'))),
    ];
    for (const attack of attacks) {
      const client = await AgentClient.connect(address());
      client.conn.stream.write(attack);
      await assert.rejects(client.request({ t: 'ping' }), (error: Error & { code?: string }) =>
        ['BAD_FRAME', 'CONNECTION_LOST'].includes(error.code ?? ''),
      );
      await expectStillServing();
    }
    // A frame cut off in the middle, then the connection dropped.
    const client = await AgentClient.connect(address());
    const frame = Buffer.concat(
      encodeFrame(FrameType.message, Buffer.from(JSON.stringify({ t: 'ping', id: 9 }))),
    );
    client.conn.stream.end(frame.subarray(0, frame.length - 3));
    await expectStillServing();
    // A put whose data stops halfway leaves no file and no temp file behind.
    const partial = await AgentClient.connect(address());
    partial.beginPut({
      path: 'half.bin',
      size: 1 << 20,
      mode: 0o644,
      ...owner,
      ...times,
      base: false,
    });
    await partial.sendBlocks(0, Buffer.alloc(4096, 1));
    partial.conn.destroy();
    await allSessionsClosed();
    await expectStillServing();
    assert.deepEqual(await readdir(root), []);
  });
});
