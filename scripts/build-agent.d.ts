/** Returns the path of a current one-file agent (dist/p2v-agent), building it first if needed. */
export function ensureAgentBinary(): Promise<string>;
