import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageParams } from '../../shared/i18n/message.ts';
import type { SelinuxRelabel } from '../../shared/vm-image.ts';
import { readXattrs } from '../paths/xattrs.ts';

/** Files every SELinux system labels: if these carry no label, the tree lost them all. */
const SAMPLES = ['etc/passwd', 'etc/selinux/config', 'etc/hostname', 'usr/bin/ls', 'bin/ls'];

/**
 * Whether the VM must relabel its files at first boot: the guest runs SELinux (enforcing or
 * permissive in `/etc/selinux/config`) and some of its files will carry no `security.selinux`
 * label: the received files came without them (the agent ran without root, or its filesystem
 * could not keep them), or the build writes files of its own (`written`: the agent for the
 * rounds, a network file rewritten for the VM's card, an initramfs rebuilt on this host), which
 * no label came with. Then the image gets `/.autorelabel` and the guest labels every file by its
 * own policy; without it an enforcing guest denies what it cannot label (NetworkManager would
 * not read an unlabelled keyfile). Null when SELinux is off or every file keeps its label.
 */
export async function selinuxRelabel(
  tree: string,
  written: string[] = [],
): Promise<SelinuxRelabel | null> {
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
  if (checked > 0 && unlabelled.length === 0 && written.length === 0) return null;
  return { mode: mode as SelinuxRelabel['mode'], unlabelled, written };
}

/** The warning (its key under `warnings` and its values) that says why the VM relabels. */
export function selinuxRelabelWarning(relabel: SelinuxRelabel): [string, MessageParams] {
  // The tree's own missing labels first: they are the larger loss.
  const written = relabel.unlabelled.length === 0 && relabel.written.length > 0;
  const files = written ? relabel.written : relabel.unlabelled;
  return [
    written ? 'selinuxRelabelWritten' : 'selinuxRelabel',
    { mode: relabel.mode, files: [...files.slice(0, 5), ...(files.length > 5 ? ['…'] : [])] },
  ];
}
