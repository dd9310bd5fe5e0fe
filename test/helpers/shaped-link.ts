import { execFileSync } from 'node:child_process';

/**
 * Two hosts joined by one cable: network namespaces `source` and `target` made by the test, a
 * veth pair between them, and each end shaped with `tc tbf` to `mbit` (the kernel here has tbf
 * but no netem). Nothing leaves the namespaces. Needs root, ip and tc (Debian's iproute2).
 */
export interface ShapedLink {
  source: string;
  target: string;
  sourceAddress: string;
  targetAddress: string;
  /** The command line that runs `argv` on the source host or the target host (its network only). */
  on(host: 'source' | 'target', argv: string[]): string[];
  /** Pulls the cable (the target's end goes down, so both ends lose their carrier) or puts it back. */
  setConnected(connected: boolean): void;
  /** Bytes the host's end has sent, as the kernel counts them (TCP, TLS and frames included). */
  bytesSent(host: 'source' | 'target'): number;
  remove(): void;
}

const SOURCE_END = 'p2v-src0';
const TARGET_END = 'p2v-dst0';

const run = (argv: string[]): void => {
  execFileSync(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
};

const quietly = (argv: string[]): void => {
  try {
    run(argv);
  } catch {
    // not there
  }
};

/** Why the link cannot be made here, or null when it can. */
export function shapedLinkUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  for (const tool of ['ip', 'tc'])
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is missing (apt-get install iproute2)`;
    }
  return null;
}

export function makeShapedLink(name: string, mbit: number): ShapedLink {
  const source = `${name}-src`;
  const target = `${name}-dst`;
  // What a killed run left under the same names goes first.
  quietly(['ip', 'netns', 'del', source]);
  quietly(['ip', 'netns', 'del', target]);
  run(['ip', 'netns', 'add', source]);
  run(['ip', 'netns', 'add', target]);
  run(['ip', '-n', source, 'link', 'add', SOURCE_END, 'type', 'veth', 'peer', TARGET_END]);
  run(['ip', '-n', source, 'link', 'set', TARGET_END, 'netns', target]);
  const ends = [
    { ns: source, dev: SOURCE_END, address: '10.77.0.1' },
    { ns: target, dev: TARGET_END, address: '10.77.0.2' },
  ];
  for (const { ns, dev, address } of ends) {
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    run(['ip', '-n', ns, 'addr', 'add', `${address}/30`, 'dev', dev]);
    run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    // A bucket of a few ms at the rate; the queue holds 50 ms before it drops.
    run([
      'ip',
      'netns',
      'exec',
      ns,
      'tc',
      'qdisc',
      'add',
      'dev',
      dev,
      'root',
      'tbf',
      'rate',
      `${mbit}mbit`,
      'burst',
      `${Math.max(16, Math.ceil((mbit * 1e6) / 8 / 250 / 1024))}kb`,
      'latency',
      '50ms',
    ]);
  }
  return {
    source,
    target,
    sourceAddress: '10.77.0.1',
    targetAddress: '10.77.0.2',
    setConnected: (connected) =>
      run(['ip', '-n', target, 'link', 'set', TARGET_END, connected ? 'up' : 'down']),
    bytesSent: (host) => {
      const [ns, dev] = host === 'source' ? [source, SOURCE_END] : [target, TARGET_END];
      const [shown] = JSON.parse(
        execFileSync('ip', ['-n', ns, '-s', '-j', 'link', 'show', 'dev', dev], {
          encoding: 'utf8',
        }),
      ) as { stats64: { tx: { bytes: number } } }[];
      return shown?.stats64.tx.bytes ?? 0;
    },
    // nsenter changes only the network: `ip netns exec` also remounts /sys, which hides the
    // cgroup hierarchy auto-converge works in.
    on: (host, argv) => [
      'nsenter',
      `--net=/run/netns/${host === 'source' ? source : target}`,
      ...argv,
    ],
    remove: () => {
      quietly(['ip', 'netns', 'del', source]);
      quietly(['ip', 'netns', 'del', target]);
    },
  };
}
