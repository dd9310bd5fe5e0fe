import type { MachineInspection } from '../../shared/inspection.ts';
import type { VmProfile } from '../../shared/vm-profile.ts';
import { en } from '../../shared/i18n/en.ts';

/**
 * A profile as an agent inside the target VM reports it: the hypervisor profile's list of
 * drivers, with the VM's own OS, firmware and the driver versions it runs.
 */
export function liveProfile(base: VmProfile, vm: MachineInspection): VmProfile {
  const withVersions = (list: VmProfile['drivers']['linux']): VmProfile['drivers']['linux'] =>
    list.map((driver) => {
      const names = new Set([driver.name, ...driver.aliases].map((n) => n.toLowerCase()));
      const found = vm.drivers.drivers.find((d) => names.has(d.name.toLowerCase()) && d.version);
      return found?.version ? { ...driver, version: found.version } : driver;
    });
  return {
    ...base,
    id: `${base.id}-live`,
    name: liveProfileName(base.name, vm.hostname),
    firmware: [vm.bootMode],
    arch: [vm.os.arch],
    os: {
      type: vm.os.type,
      id: vm.os.id,
      name: vm.os.name,
      version: vm.os.version,
      kernel: vm.os.kernel,
    },
    drivers: {
      linux: vm.os.type === 'linux' ? withVersions(base.drivers.linux) : base.drivers.linux,
      windows: vm.os.type === 'windows' ? withVersions(base.drivers.windows) : base.drivers.windows,
    },
  };
}

/** A live profile's name: the built-in one's, and the VM that reported the versions. */
export function liveProfileName(name: string, host: string): string {
  return en.profilesLive.replace('{{name}}', name).replace('{{host}}', host);
}
