import { BandwidthMbit } from '../../shared/api.ts';

/** The limit a field's text gives, in Mbit/s: null when blank (no limit), undefined when not a limit. */
export function bandwidthFromText(text: string): number | null | undefined {
  if (text.trim() === '') return null;
  const parsed = BandwidthMbit.safeParse(Number(text));
  return parsed.success ? parsed.data : undefined;
}
