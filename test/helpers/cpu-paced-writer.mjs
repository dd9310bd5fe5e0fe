// A program that dirties a file as fast as the CPU it gets allows: one random 64 KiB block at a
// random place per `msPerBlock` of its own CPU time, spinning in between. Slowing its CPU (a
// cgroup quota, a stop/continue duty cycle) slows its writes in proportion, as it would a busy
// database. Usage: node cpu-paced-writer.mjs FILE SIZE_BYTES MS_PER_BLOCK
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';

const [file, size, msPerBlock] = [
  process.argv[2],
  Number(process.argv[3]),
  Number(process.argv[4]),
];
const BLOCK = 64 * 1024;
const fd = openSync(file, 'r+');
process.on('SIGTERM', () => {
  closeSync(fd);
  process.exit(0);
});
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
let next = cpuMs();
for (;;) {
  while (cpuMs() < next) {
    // spin: the writer's pace is its CPU
  }
  next += msPerBlock;
  writeSync(fd, randomBytes(BLOCK), 0, BLOCK, randomInt(0, size / BLOCK) * BLOCK);
  // Let the SIGTERM handler run between blocks.
  if (randomInt(0, 8) === 0) await setImmediate();
}
