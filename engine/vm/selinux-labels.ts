import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SelinuxRelabel } from '../../shared/vm-image.ts';
import { readXattrs } from '../paths/xattrs.ts';

/** Files every SELinux system labels: if these carry no label, the tree lost them all. */
const SAMPLES = ['etc/passwd', 'etc/selinux/config', 'etc/hostname', 'usr/bin/ls', 'bin/ls'];

/**
 * Whether the VM must relabel its files at first boot: the guest runs SELinux (enforcing or
 * permissive in `/etc/selinux/config`) but the received files carry no `security.selinux`
 * labels (the agent ran without root, or its filesystem could not keep them). Then the image
 * gets `/.autorelabel`; without it an enforcing guest denies nearly everything. Null when
 * SELinux is off or the labels came along.
 */
export async function selinuxRelabel(tree: string): Promise<SelinuxRelabel | null> {
  const config = await readFile(join(tree, 'etc/selinux/config'), 'utf8').catch(() => null);
  const mode = config && /^\s*SELINUX\s*=\s*(enforcing|permissive)\s*$/m.exec(config)?.[1];
  if (!mode) return null;
  const unlabelled: string[] = [];
  let checked = 0;
  for (const path of SAMPLES) {
    let names: string[];
    try {
      names = readXattrs(Buffer.from(join(tree, path))).map((x) => x.name);
    } catch {
      continue;
    }
    checked++;
    if (!names.includes('security.selinux')) unlabelled.push(`/${path}`);
  }
  if (checked > 0 && unlabelled.length === 0) return null;
  return {
    mode: mode as SelinuxRelabel['mode'],
    unlabelled,
  };
}
