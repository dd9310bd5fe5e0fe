// A program that must run on exactly one machine: it holds a lock file (its pid in it) while it
// runs, and commits one ledger row per transaction to an SQLite database, logging each id after
// its commit. SIGTERM closes the database and drops the lock, as a service stop does. Started
// where it already runs, it exits at once. Plain JavaScript, so a cutover's stop, rollback and
// handover commands start it fast.
//
//   node ledger-program.mjs DB LOCK COMMITTED_LOG
import Database from 'better-sqlite3';
import { setTimeout } from 'node:timers';
import {
  appendFileSync,
  closeSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';

const [dbPath, lockPath, logPath] = process.argv.slice(2);
if (!dbPath || !lockPath || !logPath) throw new Error('usage: ledger-program DB LOCK LOG');

/** Whether the lock names a live process: a lock left by a killed run is taken over. */
function heldByAnother() {
  let pid;
  try {
    pid = Number(readFileSync(lockPath, 'utf8').trim());
  } catch {
    return false;
  }
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

if (heldByAnother()) process.exit(0);
const db = new Database(dbPath);
db.pragma('journal_mode = WAL');
db.exec('CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, at TEXT)');
const insert = db.prepare('INSERT INTO ledger (at) VALUES (?)');
const log = openSync(logPath, 'a');
// The lock goes last: whoever sees it may stop this program, which has all it needs by then.
writeFileSync(`${lockPath}.tmp`, `${process.pid}\n`);
renameSync(`${lockPath}.tmp`, lockPath);

let stopping = false;
function step() {
  if (stopping) return;
  const id = Number(insert.run(new Date().toISOString()).lastInsertRowid);
  appendFileSync(log, `${id}\n`);
  setTimeout(step, 3);
}

process.on('SIGTERM', () => {
  stopping = true;
  db.close();
  closeSync(log);
  rmSync(lockPath, { force: true });
  process.exit(0);
});
step();
