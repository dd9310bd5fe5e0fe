// Writes assets/profiles/vm-profile.schema.json from the zod schema in shared/vm-profile.ts, so
// editors validate profile files with the same rules the engine checks them by.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { profileJsonSchema } from '../engine/profiles/profile-schema.ts';
import { profilesDir } from '../engine/profiles/load-profile.ts';

writeFileSync(join(profilesDir(), 'vm-profile.schema.json'), profileJsonSchema());
