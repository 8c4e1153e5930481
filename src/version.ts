/** custody's own version, from its package.json (found from this module, in src/ or dist/src/). */
import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

function findVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {name?: string; version?: string}
      if (pkg.name === 'custody' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // no package.json here: look further up
    }

    const parent = dirname(dir)
    if (parent === dir) return '0.0.0'
    dir = parent
  }
}

export const CUSTODY_VERSION = findVersion()
