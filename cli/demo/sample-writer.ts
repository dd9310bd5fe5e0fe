// The demo's "production program": writes numbered 4 KiB pages into a data file at random places
// and logs each sequence number, like a small database. Stopped with SIGTERM it saves its last
// sequence number and exits. With --resume it checks its data and says where it continues from.
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

const PAGE = 4096;
const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: sample-writer DIR [--resume]\n');
  process.exit(2);
}
const dataPath = join(dir, 'data.bin');
const statePath = join(dir, 'state.json');
const initial = JSON.parse(readFileSync(statePath, 'utf8')) as { seq: number; pages: number };
const pages = initial.pages;

function pageFor(seq: number): number {
  // The same pseudo-random page for a sequence number on both machines.
  return (seq * 2654435761) % pages;
}

if (process.argv.includes('--resume')) {
  const fd = openSync(dataPath, 'r');
  const page = Buffer.alloc(PAGE);
  readSync(fd, page, 0, PAGE, pageFor(initial.seq) * PAGE);
  closeSync(fd);
  const found = page.readUInt32BE(0);
  if (initial.seq > 0 && found !== initial.seq) {
    process.stderr.write(`data check failed: page of seq ${initial.seq} holds ${found}\n`);
    process.exit(1);
  }
  process.stdout.write(`program resumed on the target at sequence ${initial.seq + 1}\n`);
  process.exit(0);
}

const fd = openSync(dataPath, 'r+');
let seq = initial.seq;
let stopping = false;

function save(): void {
  fsyncSync(fd);
  writeFileSync(`${statePath}.tmp`, JSON.stringify({ seq, pages }));
  renameSync(`${statePath}.tmp`, statePath);
}

function writeSome(): void {
  if (stopping) return;
  for (let i = 0; i < 8; i++) {
    seq++;
    const page = Buffer.alloc(PAGE, seq & 0xff);
    page.writeUInt32BE(seq, 0);
    writeSync(fd, page, 0, PAGE, pageFor(seq) * PAGE);
  }
  if (seq % 64 < 8) save();
  setTimeout(writeSome, 5);
}

process.on('SIGTERM', () => {
  stopping = true;
  save();
  closeSync(fd);
  process.exit(0);
});
writeSome();
