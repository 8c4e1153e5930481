/**
 * What `custody status` and `custody log` load before they do anything (README "Speed", row h:
 * status's start-up, aim <= 4x `node -e 0`). Every module a command imports statically is read
 * and compiled at each run, so a light command must not reach sealing, verifying or their
 * libraries through a helper it imports: status once reached them all through the list of what
 * was released (then in the export, which is a seal), and its start-up went from 3.4x to 5x.
 * Walks the built CLI's static imports (dist/, as `npm test` builds it: with
 * verbatimModuleSyntax an import of types only is still an import there), from the command.
 */
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {describe, expect, it} from 'vitest'

const DIST = resolve(import.meta.dirname, '../../dist')

/** Every module reached from `start` by static imports (and re-exports), each with the module that imported it first. */
function staticImports(start: string): Map<string, string | null> {
  const reached = new Map<string, string | null>([[start, null]])
  const queue = [start]
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const source = readFileSync(file, 'utf8')
    for (const match of source.matchAll(/^(?:import|export)\s(?:[^;]*?\sfrom\s+)?'([^']+)'/gms)) {
      const spec = match[1]!
      const module = spec.startsWith('.') ? resolve(dirname(file), spec) : `package:${spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]}`
      if (reached.has(module)) continue
      reached.set(module, file)
      if (!module.startsWith('package:') && existsSync(module)) queue.push(module)
    }
  }

  return reached
}

/** How `module` was reached: the chain of imports from the command. */
function chainTo(reached: Map<string, string | null>, module: string): string {
  const chain: string[] = []
  for (let at: string | null | undefined = module; at !== null && at !== undefined; at = reached.get(at)) chain.unshift(at.startsWith('package:') ? at : relative(DIST, at))
  return chain.join(' -> ')
}

describe('start-up: what a light command loads', () => {
  // `log` verifies a kept package again to show a sender's events (HQ), loading the verifier then.
  it.each([
    ['status', 'src/case/status.js'],
    ['log', 'src/exhibits/exhibits.js'],
  ])('custody %s reaches no module of sealing, verifying, ZIP reading or timestamp tokens, nor pkijs or yauzl', (name, own) => {
    const command = join(DIST, `commands/${name}.js`)
    expect(existsSync(command), 'dist/ is built by `npm test` (npm run build)').toBe(true)
    const reached = staticImports(command)
    // The walk follows the command's imports: it reaches the ledger it reads.
    expect(reached.has(join(DIST, own))).toBe(true)
    expect(reached.has(join(DIST, 'src/ledger/ledger.js'))).toBe(true)
    const heavy = [join(DIST, 'src/seal/seal.js'), join(DIST, 'src/verify/verify-archive.js'), join(DIST, 'src/zip/reader.js'), join(DIST, 'src/timestamps/token.js'), 'package:pkijs', 'package:yauzl']
    const found = heavy.filter((module) => reached.has(module)).map((module) => chainTo(reached, module))
    expect(found).toEqual([])
  })
})
