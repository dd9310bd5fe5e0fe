import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The agent's TLS key and certificate, kept in its state dir so the fingerprint stays the same. */
export interface AgentIdentity {
  key: string;
  cert: string;
  /** SHA-256 of the certificate, as colon-separated hex: what the technician confirms. */
  fingerprint: string;
}

/** Loads the identity from `stateDir`, making a new EC key and self-signed certificate if absent. */
export async function loadOrCreateIdentity(stateDir: string): Promise<AgentIdentity> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const keyPath = join(stateDir, 'agent-key.pem');
  const certPath = join(stateDir, 'agent-cert.pem');
  try {
    const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    return { key, cert, fingerprint: certificateFingerprint(cert) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Loaded only here: the certificate library costs start-up time every other run can skip.
  const { generate } = await import('selfsigned');
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: `p2v-agent ${hostname()}` }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000),
  });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert, { mode: 0o644 });
  return { key: pems.private, cert: pems.cert, fingerprint: certificateFingerprint(pems.cert) };
}

/** The SHA-256 fingerprint of a PEM or DER certificate, formatted as Node prints it. */
export function certificateFingerprint(cert: string | Buffer): string {
  return new X509Certificate(cert).fingerprint256;
}

/** Normalises a fingerprint a human typed: case and separators do not matter. */
export function normaliseFingerprint(text: string): string {
  return text.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}

/** A fresh pairing token: 128 random bits, URL-safe. */
export function newPairingToken(): string {
  return randomBytes(16).toString('base64url');
}
