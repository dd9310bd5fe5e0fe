import { randomBytes } from 'node:crypto';
import { link, mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Builds a small machine-like tree: config, documents, a data file a program writes, links. */
export async function createSampleMachine(root: string, dataMiB = 32): Promise<{ appDir: string }> {
  const appDir = join(root, 'var/lib/app');
  await mkdir(join(root, 'etc/app'), { recursive: true });
  await mkdir(appDir, { recursive: true });
  await mkdir(join(root, 'var/log'), { recursive: true });
  await mkdir(join(root, 'srv/empty'), { recursive: true });
  await writeFile(join(root, 'etc/hostname'), 'demo-server\n');
  await writeFile(join(root, 'etc/app/app.conf'), 'listen = 0.0.0.0:8080\ndata = /var/lib/app\n', {
    mode: 0o640,
  });
  for (let i = 0; i < 400; i++) {
    const dir = join(root, 'usr/share/doc', `pkg-${Math.floor(i / 20)}`);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, `file-${i}.txt`),
      randomBytes(200 + ((i * 997) % 8000)).toString('base64'),
    );
  }
  await symlink('../share/doc', join(root, 'usr/docs'));
  await link(join(root, 'etc/hostname'), join(root, 'etc/hostname.bak'));
  await writeFile(join(root, 'var/log/app.log'), 'started\n');
  const pages = (dataMiB * 1024 * 1024) / 4096;
  await writeFile(join(appDir, 'data.bin'), randomBytes(dataMiB * 1024 * 1024));
  await writeFile(join(appDir, 'state.json'), JSON.stringify({ seq: 0, pages }));
  await writeFile(join(root, 'var/lib/sparse.img'), 'header');
  await truncate(join(root, 'var/lib/sparse.img'), 256 * 1024 * 1024);
  return { appDir };
}
