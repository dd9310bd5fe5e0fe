/** The wizard's pages come from this scheme and host, never from the network or file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'wizard';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * The page may run only its own script and style; it talks to the engine through the preload
 * (IPC), so it needs no network at all.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** True for a URL of the wizard's own pages: the only senders and destinations allowed. */
export function isAppUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/**
 * Maps a request for `app://wizard/...` to a file inside the renderer folder; null for anything
 * that would leave it.
 */
export function appFileFor(
  url: string,
  rendererDir: string,
  join: (...p: string[]) => string,
): string | null {
  if (!isAppUrl(url)) return null;
  const path = decodeURIComponent(new URL(url).pathname);
  if (path.split('/').some((part) => part === '..' || part.includes('\\') || part.includes('\0')))
    return null;
  return join(rendererDir, path === '/' ? 'index.html' : path);
}
