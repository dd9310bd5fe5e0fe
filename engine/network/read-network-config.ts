import { readdir, realpath } from 'node:fs/promises';
import { readMachineFile } from '../paths/machine-file.ts';
import { join } from 'node:path';
import type { ConfiguredInterface } from '../../shared/network.ts';
import { parseIfcfgRedhat, parseIfcfgSuse } from './ifcfg.ts';
import { parseIfupdown } from './ifupdown.ts';
import { parseNetplan } from './netplan.ts';
import { parseNetworkManager } from './network-manager.ts';
import { parseNetworkd } from './systemd-networkd.ts';
import { parseUdevNetRules } from './udev-rules.ts';

/** What a machine's files say about its network interfaces, and the files themselves. */
export interface NetworkConfig {
  interfaces: ConfiguredInterface[];
  /** Each file read, by its path in the machine ("/etc/netplan/50-cloud-init.yaml"). */
  contents: Map<string, string>;
  /**
   * Each file's permission bits: a file rewritten for the VM keeps them (NetworkManager ignores
   * a keyfile others can read, so a 0644 copy of a 0600 one would leave the VM without its address).
   */
  modes: Map<string, number>;
  /** Files that could not be read or parsed, with why. */
  problems: string[];
}

type Parser = (text: string, file: string) => ConfiguredInterface[];

/** Where each format keeps its files: a folder and the names in it, or one file. */
const SOURCES: { dir: string; name: RegExp; parse: Parser }[] = [
  { dir: '/etc/network', name: /^interfaces$/, parse: parseIfupdown },
  { dir: '/etc/network/interfaces.d', name: /^[^.]/, parse: parseIfupdown },
  { dir: '/etc/netplan', name: /\.ya?ml$/, parse: parseNetplan },
  {
    dir: '/etc/NetworkManager/system-connections',
    name: /\.nmconnection$/,
    parse: parseNetworkManager,
  },
  { dir: '/etc/sysconfig/network-scripts', name: /^ifcfg-/, parse: parseIfcfgRedhat },
  { dir: '/etc/systemd/network', name: /\.network$/, parse: parseNetworkd },
  { dir: '/etc/udev/rules.d', name: /^70-persistent-net\.rules$/, parse: parseUdevNetRules },
];

/**
 * Reads the network configuration of the machine whose root is `root` (the received tree, or
 * `/`) in every common form. Only regular files inside the root are read: a symlink that leads
 * out of it (to the host's own /etc) is reported, not followed.
 */
export async function readNetworkConfig(root: string): Promise<NetworkConfig> {
  const top = await realpath(root);
  const config: NetworkConfig = {
    interfaces: [],
    contents: new Map(),
    modes: new Map(),
    problems: [],
  };
  const read = async (path: string): Promise<string | null> => {
    const file = await readMachineFile(top, path);
    if (file.kind === 'problem') config.problems.push(`${path}: ${file.why}`);
    if (file.kind !== 'file') return null;
    config.contents.set(path, file.text);
    config.modes.set(path, file.mode);
    return file.text;
  };
  const namesIn = async (dir: string): Promise<string[]> =>
    (await readdir(join(top, dir)).catch(() => [] as string[])).sort();
  const parseWith = (parse: Parser, text: string, path: string): void => {
    try {
      config.interfaces.push(...parse(text, path));
    } catch (error) {
      config.problems.push(`${path}: ${(error as Error).message.split('\n')[0]}`);
    }
  };
  for (const source of SOURCES) {
    for (const name of await namesIn(source.dir)) {
      if (!source.name.test(name)) continue;
      const path = `${source.dir}/${name}`;
      const text = await read(path);
      if (text !== null) parseWith(source.parse, text, path);
    }
  }
  const suse = '/etc/sysconfig/network';
  const routes = (await read(`${suse}/routes`)) ?? '';
  const settings = (await read(`${suse}/config`)) ?? '';
  for (const name of await namesIn(suse)) {
    if (!name.startsWith('ifcfg-')) continue;
    const path = `${suse}/${name}`;
    const text = await read(path);
    if (text !== null) parseWith((t, f) => parseIfcfgSuse(t, f, routes, settings), text, path);
  }
  return config;
}
