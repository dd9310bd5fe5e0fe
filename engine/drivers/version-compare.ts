/**
 * Compares driver versions part by part, numbers as numbers (`100.94.104.24000`, `1.7.0.0-k`,
 * `07.719.03.00-rc1`): negative when a is older, positive when newer, zero when equal.
 */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return x - y;
    } else if (String(x) !== String(y)) return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** The first number of a version: what "major version difference" compares. */
export function majorVersion(version: string): number | null {
  const first = parts(version)[0];
  return typeof first === 'number' ? first : null;
}

function parts(version: string): (number | string)[] {
  return version
    .trim()
    .split(/[.\-_+~ ]/)
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}
