import { z } from 'zod';
import { P2VError } from '../../shared/errors.ts';

/**
 * One PowerShell run gathers what CIM and the registry know (Windows PowerShell 5.1 is on every
 * supported Windows Server). Errors are silenced per command: a missing cmdlet leaves its field
 * empty, and the inspection notes it.
 */
export const WINDOWS_FACTS_SCRIPT = `$ErrorActionPreference = 'SilentlyContinue'
$os = Get-CimInstance Win32_OperatingSystem
$cs = Get-CimInstance Win32_ComputerSystem
$sessionPower = Get-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Power'
$power = Get-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Power'
[pscustomobject]@{
  caption = $os.Caption; version = $os.Version; buildNumber = $os.BuildNumber
  architecture = $os.OSArchitecture; hostname = $env:COMPUTERNAME
  machineGuid = (Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Cryptography').MachineGuid
  firmware = $env:firmware_type
  cpus = $cs.NumberOfLogicalProcessors; memoryBytes = $cs.TotalPhysicalMemory
  hiberbootEnabled = $sessionPower.HiberbootEnabled; hibernateEnabled = $power.HibernateEnabled
  services = @(Get-CimInstance Win32_Service -Filter "State='Running'" | Select-Object Name, DisplayName, State, StartMode)
  disks = @(Get-Disk | Select-Object Number, FriendlyName, Size, PartitionStyle)
  partitions = @(Get-Partition | Select-Object DiskNumber, PartitionNumber, DriveLetter, Size, Type)
  volumes = @(Get-Volume | Where-Object DriveLetter | Select-Object DriveLetter, FileSystemLabel, FileSystem, Size, SizeRemaining)
  bitlocker = @(Get-BitLockerVolume | Select-Object MountPoint, ProtectionStatus)
  adapters = @(Get-NetAdapter | Select-Object Name, MacAddress)
} | ConvertTo-Json -Depth 4 -Compress`;

/** PowerShell prints a one-element list as an object and an empty one as null. */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v == null ? [] : Array.isArray(v) ? v : [v]), z.array(item));
const str = z.string().nullish();
const num = z.number().nullish();
/** Enums arrive as numbers from ConvertTo-Json, or as names from PowerShell 7. */
const enumish = z.union([z.number(), z.string()]).nullish();

const Facts = z.object({
  caption: z.string(),
  version: z.string(),
  buildNumber: str,
  architecture: str,
  hostname: z.string(),
  machineGuid: str,
  firmware: str,
  cpus: num,
  memoryBytes: num,
  hiberbootEnabled: num,
  hibernateEnabled: num,
  services: list(
    z.object({ Name: z.string(), DisplayName: str, State: z.string(), StartMode: str }),
  ),
  disks: list(
    z.object({ Number: z.number(), FriendlyName: str, Size: num, PartitionStyle: enumish }),
  ),
  partitions: list(
    z.object({
      DiskNumber: z.number(),
      PartitionNumber: z.number(),
      DriveLetter: z.union([z.string(), z.number()]).nullish(),
      Size: num,
      Type: str,
    }),
  ),
  volumes: list(
    z.object({
      DriveLetter: z.union([z.string(), z.number()]).nullish(),
      FileSystemLabel: str,
      FileSystem: str,
      Size: num,
      SizeRemaining: num,
    }),
  ),
  bitlocker: list(z.object({ MountPoint: z.string(), ProtectionStatus: enumish })),
  adapters: list(z.object({ Name: z.string(), MacAddress: str })),
});
export type WindowsFacts = z.infer<typeof Facts>;

/** Parses the JSON the facts script prints. */
export function parseWindowsFacts(text: string): WindowsFacts {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new P2VError('PARSE_FAILED', 'PowerShell printed no JSON');
  }
  const parsed = Facts.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new P2VError('PARSE_FAILED', `Windows facts: ${issue?.path.join('.')} ${issue?.message}`);
  }
  return parsed.data;
}

/** A drive letter as CIM gives it: a char (string) or, through some serialisers, its code. */
export function driveLetter(value: string | number | null | undefined): string | null {
  if (value == null || value === 0 || value === '') return null;
  return typeof value === 'number' ? String.fromCharCode(value) : value;
}
