// Sends a stop request to an agent from outside the migration, as a second session would: the
// agent then refuses every write. Usage: stop-agent HOST PORT TOKEN FINGERPRINT
import { AgentClient } from '../../engine/source/agent-client.ts';

const [host, port, token, fingerprint] = process.argv.slice(2) as [string, string, string, string];
const client = await AgentClient.connect({ host, port: Number(port), token, fingerprint });
await client.request({ t: 'stop', migration: 'another-migration' });
await client.close();
