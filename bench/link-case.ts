// The shaped-link case of `npm run bench`: a full copy over a 100 Mbit/s link between two
// network namespaces (tc tbf), against the link's own raw TCP rate measured in the same run.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { migrateOnLink, startAgentOnLink } from '../test/helpers/link-migration.ts';
import {
  makeShapedLink,
  shapedLinkUnavailable,
  type ShapedLink,
} from '../test/helpers/shaped-link.ts';

const LINK_MBIT = 100;
const MiB = 1024 * 1024;

export interface LinkResult {
  linkMbit: number;
  rawTcpMbit: number;
  random: { dataMiB: number; dataMbit: number; sentRatio: number };
  text: { dataMiB: number; dataMbit: number; sentRatio: number };
}

/** Plain TCP through the link, 48 MiB from the source host to the target host: what it carries. */
function rawTcpMbit(link: ShapedLink): Promise<number> {
  const total = 48 * MiB;
  const port = 7999;
  const server = `const s=require('net').createServer(c=>{let n=0,t0=0;c.on('data',d=>{if(!t0)t0=performance.now();n+=d.length;if(n>=${total}){console.log(n*8/1e6/((performance.now()-t0)/1000));process.exit(0)}})}).listen(${port},'${link.targetAddress}',()=>console.log('ready'))`;
  const client = `const c=require('net').connect(${port},'${link.targetAddress}');const b=Buffer.alloc(1<<20,7);let n=0;const w=()=>{while(n<${total}+(1<<20)){n+=b.length;if(!c.write(b))return c.once('drain',w)}c.end()};c.on('connect',w);c.on('error',()=>{})`;
  const [command, ...args] = link.on('target', [process.execPath, '-e', server]);
  return new Promise((resolve, reject) => {
    const receiver = spawn(command as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    receiver.stdout.on('data', (chunk: Buffer) => {
      out += String(chunk);
      if (out.startsWith('ready\n') && out.split('\n').length === 2) {
        const [c, ...a] = link.on('source', [process.execPath, '-e', client]);
        spawn(c as string, a, { stdio: 'ignore' });
      }
    });
    receiver.once('exit', (code) =>
      code === 0 ? resolve(Number(out.split('\n')[1])) : reject(new Error(`receiver ${code}`)),
    );
  });
}

/** Runs the case, or says why it cannot run here. */
export async function linkCase(base: string): Promise<LinkResult | string> {
  const unavailable = shapedLinkUnavailable();
  if (unavailable) return `skipped: ${unavailable}`;
  const link = makeShapedLink(`p2v-bench-${process.pid}`, LINK_MBIT);
  try {
    const raw = await rawTcpMbit(link);
    const random = join(base, 'link-random');
    await mkdir(random, { recursive: true });
    for (let i = 0; i < 12; i++) await writeFile(join(random, `part-${i}`), randomBytes(8 * MiB));
    const text = join(base, 'link-text');
    await mkdir(text, { recursive: true });
    execFileSync('cp', [
      '-r',
      dirname(createRequire(import.meta.url).resolve('typescript')),
      join(text, 'lib'),
    ]);
    const measure = async (name: string, source: string) => {
      const agent = await startAgentOnLink(link, join(base, `link-${name}-agent`));
      try {
        const report = await migrateOnLink(link, agent, source, base, `link-${name}`, []);
        const data = report.transfer?.dataBytes ?? 0;
        const ms = report.copy?.durationMs ?? 1;
        return {
          dataMiB: data / MiB,
          dataMbit: (data * 8) / 1e6 / (ms / 1000),
          sentRatio: (report.transfer?.sentBytes ?? 0) / Math.max(1, data),
        };
      } finally {
        await agent.stop();
      }
    };
    return {
      linkMbit: LINK_MBIT,
      rawTcpMbit: raw,
      random: await measure('random', random),
      text: await measure('text', text),
    };
  } finally {
    link.remove();
  }
}
