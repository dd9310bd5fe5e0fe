// A DOM for React component tests in Node: happy-dom's window, registered as globals before
// React or Testing Library load. Import this first in every component test.
import { GlobalRegistrator } from '@happy-dom/global-registrator';

if (!('window' in globalThis)) GlobalRegistrator.register({ url: 'http://127.0.0.1/' });
