import { join } from 'node:path';
import * as sea from 'node:sea';
import { projectRoot } from '../project-root.ts';

/** Where `npm run build:agent` writes the one-file agent. */
export const ONE_FILE_AGENT = 'dist/p2v-agent';

/**
 * The one-file agent to put into a VM: this very program when it is the one-file agent (a
 * conversion host running the copied binary), else the build in the project's dist/.
 */
export function oneFileAgent(): string {
  return sea.isSea() ? process.execPath : join(projectRoot(), ONE_FILE_AGENT);
}
