/**
 * verify-bag.py, the standalone checker a seal puts at the top of the bag: Python 3 and its
 * standard library, so that a court's expert can check the events and proofs without custody.
 * The script lives beside this module (the build copies it into dist/), and goes into every bag
 * byte for byte; the statement states its SHA-256.
 */
import {readFileSync} from 'node:fs'

let script: Buffer | undefined

/** The checker's bytes, read once. */
export function checkerScript(): Buffer {
  script ??= readFileSync(new URL('verify-bag.py', import.meta.url))
  return script
}
