import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

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
