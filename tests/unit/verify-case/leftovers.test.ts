import {createHash} from 'node:crypto'
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {leftoverWarnings} from '../../../src/verify/case/leftovers.js'
import {chainCheck} from '../../../src/verify/case/chain.js'
import {testimoniesCheck} from '../../../src/verify/case/testimonies.js'
import {vaultCheck} from '../../../src/verify/case/vault.js'
import {tempDir, vaultObject} from '../../helpers/cli.js'
import {copyOf, makeSmallCase, openContext, type SmallCase} from './small-case.js'

let original: SmallCase & {remove: () => void}
const work = tempDir('custody-leftovers-')

beforeAll(async () => {
  original = await makeSmallCase({plaintext: true})
})

afterAll(() => {
  original.remove()
  work.remove()
})

/** The warnings after the checks that mark the vault objects events name. */
async function warningsOf(kase: SmallCase): Promise<string[]> {
  using context = openContext(kase)
  for (const check of [chainCheck, vaultCheck, testimoniesCheck]) await check.run(context)
  return await leftoverWarnings(context)
}

describe('the warnings after the checks', () => {
  it('are none for a case custody left as it should', async () => {
    expect(await warningsOf(original)).toEqual([])
  })

  it('name what an interrupted ingest leaves: a vault object no event names, a temp file; and a file that is no custody object', async () => {
    const c = copyOf(original, work)
    const orphan = Buffer.from('an object no event names')
    const digest = createHash('sha256').update(orphan).digest('hex')
    mkdirSync(dirname(vaultObject(c.dir, digest)), {recursive: true, mode: 0o700})
    writeFileSync(vaultObject(c.dir, digest), orphan, {mode: 0o400, flag: 'wx'})
    writeFileSync(join(c.dir, '.custody', 'vault', 'tmp', 'ingest-1'), 'half', {mode: 0o600})
    mkdirSync(join(c.dir, '.custody', 'vault', 'sha256', 'zz'), {mode: 0o700})
    writeFileSync(join(c.dir, '.custody', 'vault', 'sha256', 'zz', 'hello'), 'hello', {mode: 0o600})
    const warnings = await warningsOf(c)
    expect(warnings).toHaveLength(3)
    expect(warnings).toEqual(
      expect.arrayContaining([
        `vault object ${digest} is not named by any event (left by an interrupted ingest; harmless)`,
        'the vault holds a file that is not a custody object: sha256/zz/hello',
        'temp file vault/tmp/ingest-1 (left by an interrupted or running ingest)',
      ]),
    )
    expect(warnings.at(-1)).toBe('temp file vault/tmp/ingest-1 (left by an interrupted or running ingest)')
  })

  it('name folders of .custody open to other users', async () => {
    const c = copyOf(original, work)
    chmodSync(join(c.dir, '.custody', 'keys'), 0o755)
    const warnings = await warningsOf(c)
    expect(warnings).toEqual([expect.stringContaining('are open to other users of this computer')])
    expect(warnings[0]).toContain(`(0755)`)
  })
})

describe('the warnings after the checks, on an encrypted vault', () => {
  let encrypted: SmallCase & {remove: () => void}

  beforeAll(async () => {
    encrypted = await makeSmallCase()
  })

  afterAll(() => {
    encrypted.remove()
  })

  it('are none for a case custody left as it should', async () => {
    expect(await warningsOf(encrypted)).toEqual([])
  })

  it('name an age object no event names (by its keyed address), a file that is no custody object, and a temp file', async () => {
    const c = copyOf(encrypted, work)
    const address = createHash('sha256').update('an address no event names').digest('hex')
    const objects = join(c.dir, '.custody', 'vault', 'objects')
    mkdirSync(join(objects, address.slice(0, 2)), {recursive: true, mode: 0o700})
    writeFileSync(join(objects, address.slice(0, 2), `${address}.age`), 'age-encryption.org/v1\n', {mode: 0o400, flag: 'wx'})
    // In clear beside the age files: not a custody object, whatever its name.
    mkdirSync(join(objects, address.slice(0, 2), 'sub'), {mode: 0o700})
    writeFileSync(join(objects, address.slice(0, 2), address), 'a plaintext copy', {mode: 0o600})
    writeFileSync(join(c.dir, '.custody', 'vault', 'tmp', 'ingest-2'), 'half', {mode: 0o600})
    const warnings = await warningsOf(c)
    expect(warnings).toEqual(
      expect.arrayContaining([
        `vault object ${address} is not named by any event (left by an interrupted ingest; harmless)`,
        `the vault holds a file that is not a custody object: objects/${address.slice(0, 2)}/${address}`,
        `the vault holds a file that is not a custody object: objects/${address.slice(0, 2)}/sub`,
        'temp file vault/tmp/ingest-2 (left by an interrupted or running ingest)',
      ]),
    )
    expect(warnings).toHaveLength(4)
  })
})
