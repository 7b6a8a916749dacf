// `node --import livestate/src/cli/register.mjs …`: the same loaders the CLI installs (TypeScript via
// tsx, and 'livestate' resolving to this livestate), for scripts and child processes in tests.
import { register } from 'node:module'
import { register as registerTsx } from 'tsx/esm/api'

register('./resolve-livestate.mjs', import.meta.url)
registerTsx()
