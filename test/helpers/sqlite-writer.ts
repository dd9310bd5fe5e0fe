// A real program writing a real database: inserts rows in transactions as fast as a busy
// application would, updates old rows, and logs every committed id after its commit. SIGTERM
// closes the database cleanly, as a service stop does. With --check it opens a database and
// prints its row count and integrity, the way the program resumes on the target.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, fsyncSync, openSync } from 'node:fs';

const [dbPath, mode, logPath] = process.argv.slice(2);
if (!dbPath) throw new Error('usage: sqlite-writer DB (--check | --write LOG)');

if (mode === '--check') {
  const db = new Database(dbPath);
  const integrity = db.pragma('integrity_check', { simple: true });
  const { n, top } = db.prepare('SELECT count(*) AS n, max(id) AS top FROM events').get() as {
    n: number;
    top: number;
  };
  db.close();
  process.stdout.write(`integrity ${String(integrity)}, ${n} rows, last id ${top}\n`);
  process.exit(integrity === 'ok' ? 0 : 1);
}

const db = new Database(dbPath);
db.pragma('journal_mode = WAL');
db.exec(
  'CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, at TEXT, payload BLOB, touched INTEGER DEFAULT 0)',
);
const insert = db.prepare('INSERT INTO events (at, payload) VALUES (?, ?)');
const touch = db.prepare('UPDATE events SET touched = touched + 1 WHERE id = ?');
const writeBatch = db.transaction((rows: number) => {
  let last = 0;
  for (let i = 0; i < rows; i++) {
    last = Number(
      insert.run(new Date().toISOString(), randomBytes(300 + (i % 7) * 100)).lastInsertRowid,
    );
  }
  touch.run(1 + Math.floor(Math.random() * last));
  return last;
});
const log = openSync(logPath as string, 'a');
let stopping = false;

function step(): void {
  if (stopping) return;
  const last = writeBatch(5);
  appendFileSync(log, `${last}\n`);
  // A busy service, not a bulk load: a small transaction every couple of milliseconds.
  setTimeout(step, 2);
}

process.on('SIGTERM', () => {
  stopping = true;
  fsyncSync(log);
  closeSync(log);
  db.close();
  process.exit(0);
});
process.stdout.write('writing\n');
step();
