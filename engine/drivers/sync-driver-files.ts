import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import { fromText, joinRaw } from '../paths/raw-path.ts';
import { AgentClient, type AgentAddress } from '../source/agent-client.ts';
import { syncItems, type SyncItem } from '../source/tree-sync.ts';
import type { DriverFilesResult } from '../../shared/driver-plan.ts';
import { differenceFiles } from './difference-files.ts';
import { localManifest, remoteManifest } from './driver-manifest.ts';

/**
 * Computes the difference files between a driver tree on the source and the same tree on the
 * agent, and sends just those through the engine (temp file, checksum, rename), then checks the
 * agent's copies by checksum. `dryRun` computes without sending.
 */
export async function syncDriverFiles(
  address: AgentAddress,
  sourceDir: string,
  targetDir: string,
  options: { dryRun?: boolean } = {},
): Promise<DriverFilesResult> {
  const client = await AgentClient.connect(address);
  try {
    const folder = targetDir.replace(/^\/+|\/+$/g, '');
    const files = differenceFiles(
      await localManifest(sourceDir),
      await remoteManifest(client, folder),
    );
    const result = { sourceDir, targetDir: folder, files, bytesOnWire: 0, verified: false };
    if (options.dryRun || files.length === 0) return { ...result, verified: files.length === 0 };
    const failures: string[] = [];
    const items: SyncItem[] = files.map((file) => ({
      source: Buffer.from(join(sourceDir, file.path)),
      target: joinRaw(fromText(folder), fromText(file.path)),
      info: lstatSync(join(sourceDir, file.path), { bigint: true }),
    }));
    const before = client.bytesOnWire;
    await syncItems(client, items, {
      applied: () => undefined,
      failed: (item, error) => failures.push(`${String(item.target)}: ${error.message}`),
      progress: () => undefined,
      hardLinkPrimary: () => null,
    });
    if (failures.length > 0)
      throw new P2VError('IO_ERROR', `driver files not sent: ${failures.join('; ')}`);
    const after = new Map(
      (await remoteManifest(client, folder)).map((f) => [f.path, f.hash] as const),
    );
    return {
      ...result,
      bytesOnWire: client.bytesOnWire - before,
      verified: files.every((f) => after.get(f.path) === f.hash),
    };
  } finally {
    await client.close();
  }
}
