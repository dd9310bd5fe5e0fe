import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

/**
 * A network namespace with a bridge and a tap device on it: the LAN a server stood on, made by
 * the test (root only) so a booted VM can be reached at the server's own address without
 * touching any real network. The bridge holds `gatewayCidr` (the LAN's router, as the source's
 * configuration names it).
 */
export interface BridgeNamespace {
  name: string;
  /** The tap device qemu attaches the VM's card to. */
  tap: string;
  /** Starts `command` inside the namespace. */
  spawnInside(command: string, args: string[]): ChildProcess;
  /** Runs `command` inside the namespace and returns its output, or throws with its stderr. */
  runInside(command: string, args: string[]): string;
  remove(): void;
}

const ip = (args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

export function makeBridgeNamespace(name: string, gatewayCidr: string): BridgeNamespace {
  // A namespace left by a run that was killed has the same name: start from nothing.
  try {
    ip(['netns', 'del', name]);
  } catch {
    // there was none
  }
  ip(['netns', 'add', name]);
  const inside = (args: string[]): void => ip(['-n', name, ...args]);
  inside(['link', 'set', 'lo', 'up']);
  inside(['link', 'add', 'br0', 'type', 'bridge']);
  inside(['addr', 'add', gatewayCidr, 'dev', 'br0']);
  inside(['link', 'set', 'br0', 'up']);
  inside(['tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
  inside(['link', 'set', 'tap0', 'master', 'br0']);
  inside(['link', 'set', 'tap0', 'up']);
  return {
    name,
    tap: 'tap0',
    spawnInside: (command, args) =>
      spawn('ip', ['netns', 'exec', name, command, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    runInside: (command, args) =>
      execFileSync('ip', ['netns', 'exec', name, command, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    remove: () => {
      try {
        ip(['netns', 'del', name]);
      } catch {
        // already gone
      }
    },
  };
}

/**
 * A bridge on this host with no address of its own (the conversion host's bridge to the
 * server's LAN), joined by two namespaces the test makes: the LAN, holding `gatewayCidr`, and
 * the source's card, holding `sourceCidr` until the migration releases it. A VM whose card
 * qemu puts on the bridge is reached from the LAN namespace; this host never routes to it.
 */
export interface HostBridgeLan {
  bridge: string;
  lan: Pick<BridgeNamespace, 'name' | 'runInside'> & {
    /** As runInside, without holding the test's event loop while it waits. */
    runInsideAsync(command: string, args: string[]): Promise<string>;
  };
  /** The namespace with the source's card (named `sourceCard`). */
  source: string;
  sourceCard: string;
  /** The MACs the bridge learned, as `bridge fdb` lists them: who sent a frame on it. */
  learned(): string[];
  remove(): void;
}

/** Stops the host from giving a device of the test's bridge an IPv6 link-local address. */
function noHostAddress(device: string): void {
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${device}/disable_ipv6`, '1');
  } catch {
    // no IPv6 here: no address either
  }
}

export function makeHostBridgeLan(
  prefix: string,
  gatewayCidr: string,
  sourceCidr: string,
): HostBridgeLan {
  const bridge = `${prefix}-br`;
  const lan = `${prefix}-lan`;
  const source = `${prefix}-src`;
  const remove = (): void => {
    for (const args of [
      ['link', 'del', bridge],
      ['link', 'del', `${prefix}-lan0`],
      ['link', 'del', `${prefix}-src0`],
      ['netns', 'del', lan],
      ['netns', 'del', source],
    ])
      try {
        ip(args);
      } catch {
        // not there
      }
  };
  remove();
  // Entries never age out, so what the bridge learned during the rounds is still there after.
  ip(['link', 'add', bridge, 'type', 'bridge', 'ageing_time', '1000000']);
  noHostAddress(bridge);
  for (const [namespace, cidr, card] of [
    [lan, gatewayCidr, 'eth0'],
    [source, sourceCidr, 'ens192'],
  ] as const) {
    const hostEnd = `${namespace}0`;
    ip(['netns', 'add', namespace]);
    ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
    ip(['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', card, 'netns', namespace]);
    noHostAddress(hostEnd);
    ip(['link', 'set', hostEnd, 'master', bridge, 'up']);
    ip(['-n', namespace, 'addr', 'add', cidr, 'dev', card]);
    ip(['-n', namespace, 'link', 'set', card, 'up']);
  }
  ip(['link', 'set', bridge, 'up']);
  const inLan = (command: string, args: string[]): string[] => [
    `--net=/run/netns/${lan}`,
    command,
    ...args,
  ];
  return {
    bridge,
    lan: {
      name: lan,
      runInside: (command, args) =>
        execFileSync('nsenter', inLan(command, args), {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      runInsideAsync: async (command, args) =>
        (await promisify(execFile)('nsenter', inLan(command, args), { encoding: 'utf8' })).stdout,
    },
    source,
    sourceCard: 'ens192',
    learned: () =>
      execFileSync('bridge', ['fdb', 'show', 'br', bridge], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => !line.includes(' permanent'))
        .map((line) => line.split(' ')[0] ?? '')
        .filter(Boolean),
    remove,
  };
}
