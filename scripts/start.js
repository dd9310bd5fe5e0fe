// `npm start`: the desktop app where Electron can start; browser mode where it cannot (no
// Electron binary, as on machines that cannot download it, or no display). Says which and why.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { ensureBundle } from './bundles.js';

const require = createRequire(import.meta.url);

function electronBinary() {
  try {
    return { path: require('electron') };
  } catch (error) {
    const message = String(error.message ?? error);
    // Electron's own text suggests reinstalling; here the binary is simply not downloaded.
    return {
      reason: /failed to install/i.test(message)
        ? 'the Electron binary was not downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD or no access)'
        : message.split('\n')[0],
    };
  }
}

const electron = electronBinary();
const display =
  process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
if (electron.path && display) {
  await ensureBundle('renderer');
  await ensureBundle('electron-preload');
  await ensureBundle('electron-engine');
  const main = await ensureBundle('electron-main');
  const child = spawn(electron.path, [main], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  const why = electron.path ? 'no display' : `no Electron binary: ${electron.reason}`;
  process.stderr.write(`The desktop app cannot start here (${why}). Starting browser mode.\n`);
  const bin = new URL('../bin/p2v.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, 'ui', '--open', ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  child.on('exit', (code) => process.exit(code ?? 1));
}
