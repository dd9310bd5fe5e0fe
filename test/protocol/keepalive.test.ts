import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { Connection } from '../../engine/protocol/connection.ts';

const EVERY_MS = 20;
const LIMIT_MS = 200;

/** Two ends of a real loopback TCP connection. */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const near = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [far] = (await accepted) as [Socket];
  await once(near, 'connect');
  server.close();
  return [near, far];
}

/**
 * Resolves once `socket` has received data spread over at least `spanMs`: proof, by the peer's
 * own traffic, that that much time went by.
 */
function receivedOver(socket: Socket, spanMs: number): Promise<number> {
  return new Promise((resolve) => {
    let first = 0;
    let chunks = 0;
    const onData = (): void => {
      chunks++;
      first ||= Date.now();
      if (Date.now() - first >= spanMs) {
        socket.off('data', onData);
        resolve(chunks);
      }
    };
    socket.on('data', onData);
  });
}

describe('a connection watching for a silent peer', { timeout: 20_000 }, () => {
  const open: Socket[] = [];
  after(() => open.forEach((s) => s.destroy()));

  it('fails, naming the peer, when nothing comes for the limit', async () => {
    const [near, far] = await socketPair();
    open.push(near, far);
    const conn = new Connection(near);
    conn.keepAlive(EVERY_MS, LIMIT_MS, 'the agent at 127.0.0.1:1');
    const started = Date.now();
    await assert.rejects(conn.next(), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'CONNECTION_LOST', 'the migration reconnects after this kind');
      assert.match(error.message, /nothing came from the agent at 127\.0\.0\.1:1 for 0\.2 s/);
      return true;
    });
    assert.ok(Date.now() - started >= LIMIT_MS, 'not before the limit');
    assert.ok(near.destroyed, 'the socket is closed');
  });

  it('stays open while a quiet peer keeps saying it is there, and the frames never reach the reader', async () => {
    const [near, far] = await socketPair();
    open.push(near, far);
    const a = new Connection(near);
    const b = new Connection(far);
    a.keepAlive(EVERY_MS, LIMIT_MS, 'b');
    b.keepAlive(EVERY_MS, LIMIT_MS, 'a');
    const keepalives = await receivedOver(near, 3 * LIMIT_MS);
    assert.ok(keepalives >= 3, `b's keepalives arrived (${keepalives})`);
    assert.equal(a.closed, false, 'three limits of quiet, yet open');
    await b.send({ t: 'ping', id: 7 });
    assert.deepEqual(await a.nextMessage(), { t: 'ping', id: 7 }, 'the next frame is the message');
  });

  it("does not count the peer's silence while its own reader is behind", async () => {
    const [near, far] = await socketPair();
    open.push(near, far);
    const reader = new Connection(near);
    reader.keepAlive(EVERY_MS, LIMIT_MS, 'the writer');
    // Enough frames that the reader pauses its socket, then the writer says nothing at all.
    const writer = new Connection(far);
    for (let i = 0; i < 40; i++) await writer.send({ t: 'ping', id: i });
    await receivedOver(far, 3 * LIMIT_MS);
    assert.equal(reader.closed, false, 'behind is not the peer gone');
    for (let i = 0; i < 40; i++) assert.equal((await reader.nextMessage()).id, i);
    // Caught up: now the writer's silence counts.
    await assert.rejects(reader.next(), { code: 'CONNECTION_LOST' });
  });

  it("does not count the peer's silence while its own event loop was too busy to read", async () => {
    const [near, far] = await socketPair();
    open.push(near, far);
    const reader = new Connection(near);
    reader.keepAlive(EVERY_MS, LIMIT_MS, 'the writer');
    await new Connection(far).send({ t: 'ping', id: 1 });
    // A long synchronous stretch (a big file read without a break): the message is in the
    // socket, unread, and the keepalive timer runs before the read when the loop turns.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1200);
    assert.deepEqual(await reader.nextMessage(), { t: 'ping', id: 1 }, 'read, not dropped');
  });
});
