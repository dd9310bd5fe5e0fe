import { z } from 'zod';
import type { MachineInspection } from '../../shared/inspection.ts';
import {
  DiskPlan,
  INTERFACE_NAME,
  type StartedVm,
  type VmProgress,
} from '../../shared/vm-image.ts';

/** Wire protocol version, checked in the handshake. Bump on any incompatible change. */
export const PROTOCOL_VERSION = 8;

/**
 * A path relative to the target root, as raw bytes carried in a latin1 string (one char per
 * byte), so names that are not valid UTF-8 survive the trip. See engine/paths/raw-path.ts.
 */
const rawPath = z.string().min(1).max(4096);
const id = z.number().int().nonnegative();
const owner = { uid: z.number().int().nonnegative(), gid: z.number().int().nonnegative() };
const times = { mtimeNs: z.string().regex(/^\d{1,25}$/), atimeNs: z.string().regex(/^\d{1,25}$/) };
const mode = z.number().int().min(0).max(0o7777);
const migrationId = z.string().regex(/^[\w-]{1,64}$/);
/** Extended attributes, exactly as the entry should have them; absent leaves them alone. */
const xattrs = z
  .array(
    z.object({
      name: z.string().regex(/^(user|trusted|security|system)\.[\x21-\x7e]{1,250}$/),
      value: z.string().max(88_000),
    }),
  )
  .max(128)
  .optional();

/** The most files one `list` answer carries. */
export const LIST_MAX = 50_000;
/** The most entries one `tree` answer carries: well under a frame at ~200 bytes each. */
export const TREE_PAGE_MAX = 5_000;

/** One entry of the target's tree as `tree` lists it. */
export interface TreeEntry {
  /** Relative to the listed folder, raw bytes in latin1. */
  path: string;
  kind: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  /** As a decimal string: inode numbers pass 2^53 on some filesystems. */
  ino: string;
  nlink: number;
  /** A symlink's target, raw bytes in latin1. */
  link?: string;
  /** Digest of its extended attributes ('' for none; engine/paths/xattrs.ts), when asked for. */
  xattrs?: string;
}

/** What the source asks for after the full copy (shared/vm-image.ts VmRequest). */
export const VmRequestSchema = z.object({
  plan: DiskPlan,
  format: z.enum(['qcow2', 'raw']),
  boot: z.enum(['direct', 'grub-bios', 'grub-efi']),
  memoryMiB: z
    .number()
    .int()
    .min(128)
    .max(4 * 1024 * 1024),
  cpus: z.number().int().min(1).max(512),
  handoverCommand: z.string().max(4096).nullable(),
  nicMac: z
    .string()
    .regex(/^(source|[0-9a-f]{2}(:[0-9a-f]{2}){5})$/i)
    .optional(),
  bridge: z.string().regex(INTERFACE_NAME).optional(),
});

/** Requests the source sends; every one is answered in order, each answer carrying its id. */
export const Request = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('hello'),
    id,
    version: z.number().int(),
    token: z.string().max(512),
    /**
     * The migration this session writes for: its newest session fences the older ones, so
     * nothing a stale connection still has buffered is committed.
     */
    migration: migrationId.optional(),
    /** Codecs the source may compress file data with (protocol 8); the agent picks one or none. */
    compression: z.array(z.string().max(32)).max(8).optional(),
  }),
  z.object({ t: z.literal('sig'), id, path: rawPath, blockSize: z.number().int() }),
  z.object({
    t: z.literal('put'),
    id,
    path: rawPath,
    size: z.number().int().nonnegative(),
    mode,
    ...owner,
    ...times,
    base: z.boolean(),
    /** The base is the copy at this path, not at `path` (the file was renamed on the source). */
    baseFrom: rawPath.optional(),
    xattrs,
  }),
  z.object({ t: z.literal('putEnd'), id, hash: z.string().regex(/^[0-9a-f]{32}$/) }),
  z.object({ t: z.literal('mkdir'), id, path: rawPath, mode, ...owner, ...times, xattrs }),
  z.object({
    t: z.literal('symlink'),
    id,
    path: rawPath,
    target: z.string().min(1).max(4096),
    ...owner,
    ...times,
    xattrs,
  }),
  z.object({ t: z.literal('link'), id, path: rawPath, existing: rawPath }),
  z.object({
    t: z.literal('meta'),
    id,
    path: rawPath,
    kind: z.enum(['file', 'dir', 'symlink']),
    mode,
    ...owner,
    ...times,
    xattrs,
  }),
  z.object({ t: z.literal('remove'), id, path: rawPath }),
  z.object({ t: z.literal('hash'), id, paths: z.array(rawPath).max(1024), full: z.boolean() }),
  /** Small files' checksums and metadata, many to a request, before any signature is asked. */
  z.object({ t: z.literal('probe'), id, paths: z.array(rawPath).max(1024) }),
  z.object({ t: z.literal('stop'), id, migration: migrationId }),
  z.object({ t: z.literal('handover'), id, migration: migrationId }),
  /** Takes writes again after a stop that did not lead to a handover (the source rolled back). */
  z.object({ t: z.literal('reopen'), id, migration: migrationId }),
  z.object({ t: z.literal('ping'), id }),
  z.object({ t: z.literal('describe'), id }),
  z.object({ t: z.literal('vmStart'), id, vm: VmRequestSchema }),
  z.object({
    t: z.literal('tree'),
    id,
    path: z.string().max(4096),
    after: z.string().min(1).max(4096).nullable(),
    max: z.number().int().positive().max(TREE_PAGE_MAX),
    /** Also the digest of each entry's extended attributes (a read per entry), for a shape check. */
    attributes: z.boolean(),
  }),
  z.object({
    t: z.literal('list'),
    id,
    path: z.string().max(4096),
    max: z.number().int().positive().max(LIST_MAX),
  }),
]);
export type Request = z.infer<typeof Request>;
export type RequestOf<T extends Request['t']> = Extract<Request, { t: T }>;

/** What the agent tells about itself after a good handshake. */
export interface AgentInfo {
  hostname: string;
  platform: string;
  protocol: number;
  canChown: boolean;
  /** The command the agent runs at handover (its own --on-handover), shown to the technician. */
  handoverCommand: string | null;
  /** Where the agent's cutover stands, kept across its restarts; null while it takes writes. */
  cutover: AgentCutover | null;
  /** The codec the source may compress file data with on this connection, or null for none. */
  compression: CompressionCodec | null;
}

/** The codecs an agent decodes: brotli, from Node's own zlib (see docs/decisions.md). */
export const COMPRESSION_CODECS = ['brotli'] as const;
export type CompressionCodec = (typeof COMPRESSION_CODECS)[number];

/**
 * The agent's side of a cutover, persisted before it is answered: `stopped` (it takes no more
 * writes), `handing-over` (its handover command runs), `handed-over` or `handover-failed` (the
 * command's result), `unknown` (the command was started and the agent lost track of it: only a
 * look at the target tells whether the program runs there).
 */
export interface AgentCutover {
  migration: string;
  state: 'stopped' | 'handing-over' | 'handed-over' | 'handover-failed' | 'unknown';
  /** When the state was entered. */
  at: string;
  exitCode?: number | null;
  output?: string;
}

/** A file's metadata as the agent has it: what a `meta` request would set. */
export interface EntryMeta {
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: string;
  atimeNs: string;
  /** xattrDigest of the copied attributes ('' for none). */
  xattrs: string;
}

/** What a `probe` found of one path: no checksum where it is not a regular file there. */
export interface ProbeResult {
  path: string;
  hash: string | null;
  /** The copy's size: a source file of another size differs without being hashed. */
  size?: number;
  meta?: EntryMeta;
}

/** Answers from the agent. Signature data follows sigHead as signature frames until sigEnd. */
export type Response =
  | { t: 'welcome'; id: number; agent: AgentInfo }
  | {
      t: 'sigHead';
      id: number;
      exists: boolean;
      size: number;
      blockSize: number;
      /** The copy's metadata, so a source whose file matches in full sends no `meta`. */
      meta?: EntryMeta;
    }
  | { t: 'sigEnd'; id: number }
  | { t: 'ack'; id: number; warning?: string }
  | { t: 'hashes'; id: number; results: { path: string; hash: string | null }[] }
  | { t: 'probed'; id: number; results: ProbeResult[] }
  | { t: 'stopped'; id: number }
  | {
      t: 'described';
      id: number;
      machine: MachineInspection;
      /** Space on the filesystem that holds the agent's root, and the attributes it keeps. */
      root: {
        path: string;
        freeBytes: number;
        totalBytes: number;
        xattrs?: { user: boolean; privileged: boolean };
      };
    }
  | {
      t: 'listing';
      id: number;
      /** Regular files below the folder, paths relative to it; `truncated` past `max`. */
      files: { path: string; size: number }[];
      truncated: boolean;
    }
  | { t: 'started'; id: number; exitCode: number | null; output: string }
  /** One page of `tree`; `next` is the `after` of the next page, null after the last. */
  | { t: 'treePage'; id: number; entries: TreeEntry[]; next: string | null }
  /** Sent any number of times before the answer to `vmStart`. */
  | { t: 'vmProgress'; id: number; progress: VmProgress }
  | { t: 'vmReady'; id: number; vm: StartedVm }
  | { t: 'fail'; id: number; error: { code: string; message: string; detail?: string } };
