// The TypeScript loader for tests: tsx with a tsconfig that covers every folder, so the
// wizard's .tsx files and their component tests get the same JSX transform the bundle uses.
import { register } from 'tsx/esm/api';

register({ tsconfig: new URL('../tsconfig.tests.json', import.meta.url).pathname });
