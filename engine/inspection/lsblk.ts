import { z } from 'zod';
import { P2VError } from '../../shared/errors.ts';
import type { BlockDevice } from '../../shared/inspection.ts';

/** The columns asked of lsblk; older versions print strings for numbers and one mountpoint. */
export const LSBLK_ARGS = [
  '--json',
  '--bytes',
  '--output',
  'NAME,PATH,TYPE,SIZE,FSTYPE,LABEL,UUID,PARTUUID,PTTYPE,MOUNTPOINT,FSUSED,FSAVAIL',
];

/** For util-linux before 2.33 (RHEL 8), which knows neither PATH nor FSUSED and FSAVAIL. */
export const LSBLK_LEGACY_ARGS = [
  '--json',
  '--bytes',
  '--output',
  'NAME,TYPE,SIZE,FSTYPE,LABEL,UUID,PARTUUID,PTTYPE,MOUNTPOINT',
];

const numberish = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number), z.null()]);
const text = z.string().nullable().optional();

interface RawDevice {
  name: string;
  path?: string | null | undefined;
  type: string;
  size: number | null;
  fstype?: string | null | undefined;
  label?: string | null | undefined;
  uuid?: string | null | undefined;
  partuuid?: string | null | undefined;
  pttype?: string | null | undefined;
  mountpoint?: string | null | undefined;
  mountpoints?: (string | null)[] | undefined;
  fsused?: number | null | undefined;
  fsavail?: number | null | undefined;
  children?: RawDevice[] | undefined;
}

const Device: z.ZodType<RawDevice> = z.lazy(() =>
  z.object({
    name: z.string(),
    path: text,
    type: z.string(),
    size: numberish,
    fstype: text,
    label: text,
    uuid: text,
    partuuid: text,
    pttype: text,
    mountpoint: text,
    mountpoints: z.array(z.string().nullable()).optional(),
    fsused: numberish.optional(),
    fsavail: numberish.optional(),
    children: z.array(Device).optional(),
  }),
);

const Output = z.object({ blockdevices: z.array(Device) });

/** Parses `lsblk --json --bytes` output (util-linux 2.27 and later) into block devices. */
export function parseLsblk(json: string): BlockDevice[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw new P2VError('PARSE_FAILED', 'lsblk printed no JSON');
  }
  const parsed = Output.safeParse(data);
  if (!parsed.success)
    throw new P2VError('PARSE_FAILED', `lsblk JSON: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data.blockdevices.map(toDevice);
}

function toDevice(raw: RawDevice): BlockDevice {
  const mounts = raw.mountpoints ?? (raw.mountpoint !== undefined ? [raw.mountpoint] : []);
  return {
    name: raw.name,
    path: raw.path ?? `/dev/${raw.name}`,
    type: raw.type,
    sizeBytes: raw.size ?? 0,
    fsType: raw.fstype ?? null,
    label: raw.label ?? null,
    uuid: raw.uuid ?? null,
    partUuid: raw.partuuid ?? null,
    partitionTable: raw.pttype ?? null,
    mountpoints: mounts.filter((m): m is string => typeof m === 'string' && m !== ''),
    usedBytes: raw.fsused ?? null,
    availableBytes: raw.fsavail ?? null,
    children: (raw.children ?? []).map(toDevice),
  };
}
