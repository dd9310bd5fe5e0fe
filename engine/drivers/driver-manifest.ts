import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DriverFile } from '../../shared/vm-profile.ts';
import { hashFile } from '../checksum/block-checksums.ts';
import { LIST_MAX } from '../protocol/messages.ts';
import { displayPath, fromText } from '../paths/raw-path.ts';
import type { AgentClient } from '../source/agent-client.ts';

/** Hash requests carry at most this many paths (the protocol's limit). */
const HASH_BATCH = 1024;

/** Every regular file below a local driver tree, with its size and whole-file checksum. */
export async function localManifest(dir: string): Promise<DriverFile[]> {
  const files: DriverFile[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const name of readdirSync(join(dir, relative)).sort()) {
      const path = relative ? `${relative}/${name}` : name;
      const info = lstatSync(join(dir, path));
      if (info.isDirectory()) await walk(path);
      else if (info.isFile())
        files.push({ path, size: info.size, hash: await hashFile(join(dir, path)) });
    }
  };
  await walk('');
  return files;
}

/**
 * The same for a folder on the agent (a path under its root): listed there, then hashed there
 * in batches, so only names and checksums cross the wire.
 */
export async function remoteManifest(client: AgentClient, folder: string): Promise<DriverFile[]> {
  const raw = fromText(folder);
  const listing = await client.request<'listing'>({ t: 'list', path: raw, max: LIST_MAX });
  const files: DriverFile[] = [];
  for (let i = 0; i < listing.files.length; i += HASH_BATCH) {
    const batch = listing.files.slice(i, i + HASH_BATCH);
    const prefix = raw === '' ? '' : `${raw}/`;
    const answer = await client.request<'hashes'>({
      t: 'hash',
      paths: batch.map((f) => prefix + f.path),
      full: true,
    });
    for (const [j, file] of batch.entries()) {
      const hash = answer.results[j]?.hash;
      if (hash) files.push({ path: displayPath(file.path), size: file.size, hash });
    }
  }
  return files;
}
