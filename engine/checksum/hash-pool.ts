import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import * as sea from 'node:sea';
import { Worker } from 'node:worker_threads';

/** A chunk of a file read and hashed block by block on a worker thread. */
export interface HashedChunk {
  /** The bytes read, in a slot of shared memory the caller gives back with `release`. */
  data: Buffer;
  /** One 16-byte block hash per block of `data`, in order. */
  hashes: Buffer;
  bytesRead: number;
  slot: number;
}

interface Job {
  resolve: (chunk: HashedChunk) => void;
  reject: (error: Error) => void;
  slot: number;
  length: number;
  blockSize: number;
}

// Plain CommonJS, run with `eval`, so it works from the bundle as from the source: it reads the
// chunk with the file descriptor the main thread opened (threads share the process's table) into
// a slot of shared memory, and writes the block hashes into the slot's hash area. Only small
// messages cross threads; the bytes never are copied or transferred.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { XXHash128 } = require(workerData.addon);
const data = Buffer.from(workerData.data);
const hashes = Buffer.from(workerData.hashes);
parentPort.on('message', (job) => {
  try {
    const bytes = data.subarray(job.slot * workerData.slotBytes, job.slot * workerData.slotBytes + job.length);
    let done = 0;
    while (done < job.length) {
      const n = readSync(job.fd, bytes, done, job.length - done, job.position + done);
      if (n === 0) break;
      done += n;
    }
    const blocks = Math.ceil(done / job.blockSize);
    const out = job.slot * workerData.slotHashBytes;
    for (let i = 0; i < blocks; i++) {
      const end = Math.min(done, (i + 1) * job.blockSize);
      XXHash128.hash(bytes.subarray(i * job.blockSize, end)).copy(hashes, out + i * 16);
    }
    parentPort.postMessage({ id: job.id, bytesRead: done });
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: String((error && error.message) || error) });
  }
});
`;

/** Bytes a slot holds: one chunk of a big file. */
export const SLOT_BYTES = 1024 * 1024;
const MIN_BLOCK = 4096;
/** Slots: chunks read ahead by the workers plus the one the caller works on. */
export const SLOTS = 6;

/**
 * Worker threads that read and hash chunks of big files, so the source's read and hash use
 * every core while its main thread compares, encrypts and sends. One worker per core, sharing
 * a ring of chunk slots in shared memory. See docs/decisions.md.
 */
export class HashPool {
  private static instance: HashPool | null | undefined;
  private readonly workers: Worker[] = [];
  private readonly jobs = new Map<number, Job>();
  private readonly data: Buffer;
  private readonly hashes: Buffer;
  private readonly free: number[] = [];
  private nextId = 0;
  private turn = 0;
  private broken: Error | null = null;

  private constructor(size: number, addon: string) {
    const dataMemory = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
    const hashMemory = new SharedArrayBuffer(SLOTS * (SLOT_BYTES / MIN_BLOCK) * 16);
    this.data = Buffer.from(dataMemory);
    this.hashes = Buffer.from(hashMemory);
    for (let slot = 0; slot < SLOTS; slot++) this.free.push(slot);
    const workerData = {
      addon,
      data: dataMemory,
      hashes: hashMemory,
      slotBytes: SLOT_BYTES,
      slotHashBytes: (SLOT_BYTES / MIN_BLOCK) * 16,
    };
    for (let i = 0; i < size; i++) {
      // No inherited flags: the worker is plain CommonJS whatever the process was started with
      // (`--input-type=module` would make it a module, a loader would slow its start).
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData, execArgv: [] });
      worker.on('message', (message: WorkerAnswer) => this.answer(message));
      worker.on('error', (error) => this.fail(error));
      // After the listeners: adding a message listener refs the worker's port again, and an
      // idle pool must never keep the process from exiting.
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** The process's pool, or null where workers cannot load the addon (the one-file agent). */
  static shared(): HashPool | null {
    if (HashPool.instance !== undefined) return HashPool.instance;
    if (sea.isSea()) return (HashPool.instance = null);
    try {
      const addon = createRequire(import.meta.url).resolve('xxhash-addon');
      const workers = Number(process.env.P2V_HASH_WORKERS ?? availableParallelism());
      HashPool.instance = workers > 0 ? new HashPool(workers, addon) : null;
    } catch {
      HashPool.instance = null;
    }
    return HashPool.instance;
  }

  /** Whether a slot is free for another read. */
  get canRead(): boolean {
    return this.free.length > 0 && this.broken === null;
  }

  /**
   * Reads up to `length` (at most SLOT_BYTES) bytes at `position` of `fd` into a free slot and
   * hashes them in blocks. The caller checks `canRead` first and releases the slot when done.
   */
  hashChunk(fd: number, position: number, length: number, blockSize: number): Promise<HashedChunk> {
    if (this.broken) return Promise.reject(this.broken);
    const slot = this.free.pop();
    if (slot === undefined) return Promise.reject(new Error('no free slot'));
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length] as Worker;
    // A worker with work keeps the process alive until its answer arrives.
    if (this.jobs.size === 0) for (const w of this.workers) w.ref();
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject, slot, length, blockSize });
      worker.postMessage({ id, fd, position, length, blockSize, slot });
    });
  }

  /** Gives a chunk's slot back once its bytes and hashes are no longer read. */
  release(chunk: HashedChunk): void {
    this.free.push(chunk.slot);
  }

  private answer(message: WorkerAnswer): void {
    const job = this.jobs.get(message.id);
    if (!job) return;
    this.jobs.delete(message.id);
    if (this.jobs.size === 0) for (const w of this.workers) w.unref();
    if ('error' in message) {
      this.free.push(job.slot);
      job.reject(new Error(message.error));
      return;
    }
    const start = job.slot * SLOT_BYTES;
    const hashStart = job.slot * (SLOT_BYTES / MIN_BLOCK) * 16;
    const blocks = Math.ceil(message.bytesRead / job.blockSize);
    job.resolve({
      data: this.data.subarray(start, start + job.length),
      hashes: this.hashes.subarray(hashStart, hashStart + blocks * 16),
      bytesRead: message.bytesRead,
      slot: job.slot,
    });
  }

  private fail(error: Error): void {
    this.broken = error;
    for (const w of this.workers) w.unref();
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
  }
}

type WorkerAnswer = { id: number; bytesRead: number } | { id: number; error: string };
