import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { planNetworkIdentity } from '../../engine/network/plan-network-identity.ts';
import { readNetworkConfig } from '../../engine/network/read-network-config.ts';
import { P2VError } from '../../shared/errors.ts';
import type { ConfiguredInterface } from '../../shared/network.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/network/${name}`, import.meta.url));
const VM_MAC = '52:54:00:12:34:56';

/** NetworkManager's nmcli where it is installed (Debian package network-manager). */
const nmcli = ((): string | null => {
  try {
    return execFileSync('sh', ['-c', 'command -v nmcli'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
})();
const NO_NMCLI = 'SKIPPED LOUDLY: no nmcli (apt-get install network-manager)';

/** The card every fixture configures statically: 192.0.2.10/24, its gateway 192.0.2.1. */
const staticCard = (
  format: ConfiguredInterface['format'],
  name: string | null,
  mac: string | null,
  dns: string[],
) => ({
  format,
  name,
  mac,
  method: 'static' as const,
  addresses: ['192.0.2.10/24'],
  gateway: '192.0.2.1',
  dns,
});

/** The fields a technician reads, without the file's path. */
const shape = (i: ConfiguredInterface) => ({
  format: i.format,
  name: i.name,
  mac: i.mac,
  method: i.method,
  addresses: i.addresses,
  gateway: i.gateway,
  dns: i.dns,
});

describe("a source machine's network configuration, read from its files", () => {
  it('Debian 12 ifupdown: the static card and a DHCP one from interfaces.d, loopback left out', async () => {
    const config = await readNetworkConfig(fixture('debian-12'));
    assert.deepEqual(config.interfaces.map(shape), [
      staticCard('ifupdown', 'ens192', null, ['192.0.2.53', '192.0.2.54']),
      {
        format: 'ifupdown',
        name: 'ens224',
        mac: null,
        method: 'dhcp',
        addresses: [],
        gateway: null,
        dns: [],
      },
    ]);
    assert.equal(config.interfaces[1]?.file, '/etc/network/interfaces.d/ens224');
  });

  it('Ubuntu 22.04 netplan from cloud-init: matched by MAC, renamed by set-name', async () => {
    const [ens3] = (await readNetworkConfig(fixture('ubuntu-22.04'))).interfaces;
    assert.deepEqual(
      shape(ens3 as ConfiguredInterface),
      staticCard('netplan', 'ens3', 'fa:16:3e:12:34:56', ['192.0.2.53']),
    );
  });

  it('Ubuntu 24.04 netplan matched by name, with gateway4', async () => {
    const [card] = (await readNetworkConfig(fixture('ubuntu-24.04'))).interfaces;
    assert.deepEqual(
      shape(card as ConfiguredInterface),
      staticCard('netplan', 'enp3s0', null, ['192.0.2.53', '1.1.1.1']),
    );
  });

  it('RHEL 8 ifcfg with HWADDR and PREFIX; ifcfg-lo left out', async () => {
    const config = await readNetworkConfig(fixture('rhel-8'));
    assert.deepEqual(config.interfaces.map(shape), [
      staticCard('ifcfg-redhat', 'ens192', '00:50:56:ab:cd:ef', ['192.0.2.53', '192.0.2.54']),
    ]);
  });

  it('RHEL 9 NetworkManager keyfile: interface-name, mac-address, address1 with its gateway', async () => {
    const [card] = (await readNetworkConfig(fixture('rhel-9'))).interfaces;
    assert.deepEqual(
      shape(card as ConfiguredInterface),
      staticCard('networkmanager', 'ens192', '00:50:56:ab:cd:ef', ['192.0.2.53', '192.0.2.54']),
    );
  });

  it(
    "NetworkManager's own keyfiles (nmcli --offline writes them as the daemon would): a static card and a DHCP one",
    { skip: !nmcli && NO_NMCLI },
    async () => {
      const root = await tempDir();
      const dir = join(root, 'etc/NetworkManager/system-connections');
      await mkdir(dir, { recursive: true });
      const add = (args: string[]): string =>
        execFileSync('nmcli', ['--offline', 'connection', 'add', 'type', 'ethernet', ...args], {
          encoding: 'utf8',
        });
      const staticFile = add([
        ...['con-name', 'ens192', 'ifname', 'ens192'],
        ...['ethernet.mac-address', '00:50:56:AB:CD:EF', 'ipv4.method', 'manual'],
        ...['ipv4.addresses', '192.0.2.10/24', 'ipv4.gateway', '192.0.2.1'],
        ...['ipv4.dns', '192.0.2.53 192.0.2.54'],
      ]);
      const dhcpFile = add(['con-name', 'lan2', 'ethernet.mac-address', '00:50:56:01:02:03']);
      await writeFile(join(dir, 'ens192.nmconnection'), staticFile, { mode: 0o600 });
      await writeFile(join(dir, 'lan2.nmconnection'), dhcpFile, { mode: 0o600 });
      const cards = (await readNetworkConfig(root)).interfaces.map(shape);
      assert.deepEqual(cards, [
        staticCard('networkmanager', 'ens192', '00:50:56:ab:cd:ef', ['192.0.2.53', '192.0.2.54']),
        {
          format: 'networkmanager',
          name: null,
          mac: '00:50:56:01:02:03',
          method: 'dhcp',
          addresses: [],
          gateway: null,
          dns: [],
        },
      ]);
    },
  );

  it('CentOS 7 ifcfg edited by hand: quoted, three numbered addresses, the gateway numbered too; TYPE in capitals', async () => {
    const [card, second] = (await readNetworkConfig(fixture('centos-7-aliases'))).interfaces;
    assert.deepEqual(
      second && shape(second),
      {
        format: 'ifcfg-redhat',
        name: 'enp0s8',
        mac: '08:00:27:5e:1a:2d',
        method: 'dhcp',
        addresses: [],
        gateway: null,
        dns: [],
      },
      'TYPE=ETHERNET is Ethernet: NetworkManager compares it without case',
    );
    assert.deepEqual(shape(card as ConfiguredInterface), {
      format: 'ifcfg-redhat',
      name: 'enp0s3',
      mac: '08:00:27:5e:1a:2c',
      method: 'static',
      addresses: ['192.0.2.10/24', '192.0.2.11/24', '192.0.2.12/24'],
      gateway: '192.0.2.1',
      dns: ['192.0.2.53'],
    });
  });

  it('SLES 15 wicked ifcfg, with the default route and name servers from their own files', async () => {
    const config = await readNetworkConfig(fixture('sles-15'));
    assert.deepEqual(config.interfaces.map(shape), [
      staticCard('ifcfg-suse', 'eth0', null, ['192.0.2.53', '192.0.2.54']),
    ]);
  });

  it('systemd-networkd and an old udev naming rule', async () => {
    const [networkd] = (await readNetworkConfig(fixture('networkd'))).interfaces;
    assert.equal(networkd?.name, 'enp1s0');
    assert.equal(networkd?.mac, '52:54:00:aa:bb:cc');
    assert.deepEqual(networkd?.addresses, ['192.0.2.10/24']);
    const centos = (await readNetworkConfig(fixture('centos-6'))).interfaces;
    assert.deepEqual(
      centos.map((i) => [i.format, i.name, i.mac, i.addresses.join()]),
      [
        ['ifcfg-redhat', 'eth0', null, '192.0.2.10/24'],
        ['udev-rules', 'eth0', '00:0c:29:11:22:33', ''],
      ],
    );
  });

  it('does not follow a symlink out of the tree, and says so', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'etc/netplan'), { recursive: true });
    await symlink('/etc/hostname', join(root, 'etc/netplan/99-out.yaml'));
    const config = await readNetworkConfig(root);
    assert.deepEqual(config.interfaces, []);
    assert.match(config.problems.join('\n'), /99-out\.yaml: leads outside/);
  });

  it('names a file it cannot parse instead of failing the build', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'etc/netplan'), { recursive: true });
    await writeFile(join(root, 'etc/netplan/broken.yaml'), 'network: [unclosed\n');
    const config = await readNetworkConfig(root);
    assert.match(config.problems.join('\n'), /broken\.yaml/);
  });
});

describe("the VM's card takes over the source's network identity", () => {
  it('pins the old name where the configuration names the card (Debian, Ubuntu 24.04, SLES)', async () => {
    for (const [distro, name] of [
      ['debian-12', 'ens192'],
      ['ubuntu-24.04', 'enp3s0'],
      ['sles-15', 'eth0'],
    ] as const) {
      const plan = planNetworkIdentity(await readNetworkConfig(fixture(distro)), { mac: VM_MAC });
      assert.equal(plan.takenOver?.name, name, distro);
      assert.deepEqual(
        plan.files.map((f) => f.path),
        [`/etc/systemd/network/10-p2v-${name}.link`],
        distro,
      );
      const link = plan.files[0]?.content ?? '';
      assert.match(link, new RegExp(`\\[Match\\]\\nMACAddress=${VM_MAC}\\n`), distro);
      assert.match(link, new RegExp(`\\[Link\\]\\nName=${name}\\n`), distro);
      assert.deepEqual(
        plan.changes.map((c) => c.kind),
        ['pin-name'],
        distro,
      );
    }
  });

  it("rewrites the source's MAC where the configuration matches by MAC, keeping its spelling", async () => {
    const rhel9 = planNetworkIdentity(await readNetworkConfig(fixture('rhel-9')), {
      mac: VM_MAC,
    });
    const keyfile = rhel9.files.find((f) => f.path.endsWith('ens192.nmconnection'));
    assert.match(keyfile?.content ?? '', /^mac-address=52:54:00:12:34:56$/im);
    assert.doesNotMatch(keyfile?.content ?? '', /AB:CD:EF/i);
    assert.match(keyfile?.content ?? '', /address1=192\.0\.2\.10\/24,192\.0\.2\.1/);
    assert.deepEqual(rhel9.changes.map((c) => c.kind).sort(), ['pin-name', 'rewrite-mac']);
    const rhel8 = planNetworkIdentity(await readNetworkConfig(fixture('rhel-8')), { mac: VM_MAC });
    assert.match(
      rhel8.files.find((f) => f.path.endsWith('ifcfg-ens192'))?.content ?? '',
      /^HWADDR=52:54:00:12:34:56$/m,
      'HWADDR was upper case and stays so',
    );
    const ubuntu = planNetworkIdentity(await readNetworkConfig(fixture('ubuntu-22.04')), {
      mac: VM_MAC,
    });
    assert.match(
      ubuntu.files.find((f) => f.path.endsWith('50-cloud-init.yaml'))?.content ?? '',
      /macaddress: 52:54:00:12:34:56/,
    );
  });

  it("keeps a rewritten file's mode: NetworkManager ignores a keyfile others can read", async () => {
    const root = await tempDir();
    const dir = join(root, 'etc/NetworkManager/system-connections');
    await mkdir(dir, { recursive: true });
    const keyfile = join(dir, 'ens192.nmconnection');
    await writeFile(
      keyfile,
      '[connection]\nid=ens192\ntype=ethernet\ninterface-name=ens192\n\n[ethernet]\nmac-address=00:50:56:AB:CD:EF\n\n[ipv4]\naddress1=192.0.2.10/24,192.0.2.1\nmethod=manual\n',
    );
    await chmod(keyfile, 0o600);
    const plan = planNetworkIdentity(await readNetworkConfig(root), { mac: VM_MAC });
    const rewritten = plan.files.find((f) => f.path.endsWith('ens192.nmconnection'));
    assert.equal(rewritten?.mode.toString(8), '600');
    assert.equal(plan.files.find((f) => f.path.endsWith('.link'))?.mode.toString(8), '644');
  });

  it('rewrites an old udev rule too, so the card is still eth0 and not eth1', async () => {
    const plan = planNetworkIdentity(await readNetworkConfig(fixture('centos-6')), {
      mac: VM_MAC,
    });
    const rule = plan.files.find((f) => f.path.endsWith('70-persistent-net.rules'));
    assert.match(rule?.content ?? '', /ATTR\{address\}=="52:54:00:12:34:56".*NAME="eth0"/);
    assert.ok(plan.files.some((f) => f.path === '/etc/systemd/network/10-p2v-eth0.link'));
  });

  it("keeps the source's MAC when asked: then only the name is pinned", async () => {
    const plan = planNetworkIdentity(await readNetworkConfig(fixture('rhel-9')), {
      mac: 'source',
    });
    assert.equal(plan.vmMac, '00:50:56:ab:cd:ef');
    assert.deepEqual(
      plan.changes.map((c) => c.kind),
      ['pin-name'],
    );
    await assert.rejects(
      async () =>
        planNetworkIdentity(await readNetworkConfig(fixture('debian-12')), { mac: 'source' }),
      /MAC of ens192 .* is in no configuration file/,
    );
  });

  it('says what it leaves alone: the second card, and DHCP with another MAC', async () => {
    const debian = planNetworkIdentity(await readNetworkConfig(fixture('debian-12')), {
      mac: VM_MAC,
    });
    assert.match(debian.notes.join('\n'), /ens224 \(dhcp\) .* left as it is/);
    const dhcp = planNetworkIdentity(
      await readNetworkConfig(fixture('debian-12')),
      { mac: VM_MAC },
      { sourceNic: 'ens224' },
    );
    assert.equal(dhcp.takenOver?.name, 'ens224');
    assert.match(dhcp.notes.join('\n'), /DHCP: the VM's card has another MAC/);
  });

  it('refuses a card the configuration does not know, naming the ones it does', async () => {
    const config = await readNetworkConfig(fixture('debian-12'));
    assert.throws(
      () => planNetworkIdentity(config, { mac: VM_MAC }, { sourceNic: 'eth9' }),
      (error: unknown) =>
        error instanceof P2VError &&
        error.code === 'BAD_ARGUMENT' &&
        /eth9.*configured: ens192 \(192\.0\.2\.10\/24\), ens224 \(dhcp\)/.test(error.message),
    );
    assert.throws(() => planNetworkIdentity(config, { mac: 'not-a-mac' }), /not a MAC address/);
  });

  it('changes nothing on a machine without network configuration', async () => {
    const empty = await tempDir();
    const plan = planNetworkIdentity(await readNetworkConfig(empty), { mac: VM_MAC });
    assert.equal(plan.takenOver, null);
    assert.deepEqual(plan.files, []);
    assert.match(plan.notes.join('\n'), /No network configuration/);
  });
});
