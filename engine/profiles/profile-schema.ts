import { z } from 'zod';
import { VmProfile } from '../../shared/vm-profile.ts';

/** The profile schema as JSON Schema text, as kept in assets/profiles/vm-profile.schema.json. */
export function profileJsonSchema(): string {
  const schema = z.toJSONSchema(VmProfile, { io: 'input' });
  return `${JSON.stringify({ title: 'P2V Wizard VM profile', ...schema }, null, 2)}\n`;
}
