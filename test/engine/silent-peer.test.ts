import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createServer, type TLSSocket } from 'node:tls';
import { loadOrCreateIdentity } from '../../engine/agent/identity.ts';
import { AgentClient } from '../../engine/source/agent-client.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('connecting to a peer that completes TLS and then says nothing', () => {
  it('gives up with a retryable error instead of waiting forever', async () => {
    // What a port forward into a VM still booting can look like: the handshake is answered
    // by the forward's far end, the hello never is.
    const identity = await loadOrCreateIdentity(join(await tempDir(), 'identity'));
    const held: TLSSocket[] = [];
    const server = createServer({ key: identity.key, cert: identity.cert }, (socket) => {
      held.push(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      await assert.rejects(
        AgentClient.connect(
          { host: '127.0.0.1', port, token: 't', fingerprint: identity.fingerprint },
          // Long enough for the TLS handshake on a busy machine; the hello is what never comes.
          { timeoutMs: 2000 },
        ),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'CONNECT_FAILED', 'the caller retries this kind');
          assert.match(error.message, /no answer to hello from 127\.0\.0\.1/);
          return true;
        },
      );
      assert.equal(held.length, 1, 'the TLS handshake itself went through');
    } finally {
      for (const socket of held) socket.destroy();
      server.close();
    }
  });
});
