/**
 * A testimony's attachment that the case already holds, in a field case whose ledger seals its
 * event bodies (schema 4, made through initCase's `sealedBodies`): the witness search reads the
 * exhibit's metadata record, which the field passphrase does not open. One line says which file
 * needs what (CONTENT_LOCKED, naming the identity); HQ's identity reads the record.
 */
import {statSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {Case, initCase} from '../../src/case/case.js'
import {ingest} from '../../src/ingest/ingest.js'
import {IngestRun} from '../../src/ingest/pipeline.js'
import {MetadataReader} from '../../src/metadata/exiftool.js'
import {metadataOf} from '../../src/testimony/take-testimony.js'
import {PASSPHRASE, SAMPLES, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-sealed-testimony-')
afterAll(() => work.remove())
const hq = generateIdentity()
const PHOTO = join(SAMPLES, 'GPS.jpg')

/** The photo as a testimony stages it to attach it: known, since the case holds its content. */
async function attached(kase: Case, read: (outcome: Awaited<ReturnType<IngestRun['prepare']>>) => Promise<void>): Promise<void> {
  await using reader = await MetadataReader.start()
  const run = new IngestRun(kase, reader, undefined)
  const outcome = await run.prepare({path: PHOTO, relativePath: null, symlinkTarget: null, size: statSync(PHOTO).size})
  expect(outcome.kind).toBe('known')
  try {
    await read(outcome)
  } finally {
    await run.discardOutcome(outcome)
  }
}

describe('an attachment the case holds, in a field case with sealed event bodies', () => {
  it('says in one line that its metadata record needs an identity; HQ reads it', async () => {
    const root = join(work.path, 'field')
    await initCase({dir: root, title: 'Operation Sunflower', investigator: 'Ana Quintela', passphrase: PASSPHRASE, recipients: [parseRecipient(hq.recipient)], field: true, sealedBodies: true})
    {
      await using kase = Case.open({root, foundBy: 'flag'})
      await kase.unlock(PASSPHRASE, {writeOnly: true})
      const report = await ingest(kase, {paths: [PHOTO], actor: 'Ana Quintela'})
      report.close()
    }

    await using field = Case.open({root, foundBy: 'flag'})
    await field.unlock(PASSPHRASE, {writeOnly: true})
    await attached(field, async (outcome) => {
      const refused = await metadataOf(field, outcome).then(
        () => undefined,
        (error: unknown) => error as {code: string; subject: string; message: string},
      )
      expect(refused).toMatchObject({code: 'CONTENT_LOCKED', subject: 'EX-000001'})
      expect(refused!.message).toMatch(/^\S+GPS\.jpg is already in the case as EX-000001, and searching it for the witness reads its metadata record: .*needs an identity of one of the case's recipients/)
      expect(refused!.message).not.toContain('\n')
      expect(refused!.message).not.toMatch(/--\w/)
    })

    await using atHq = Case.open({root, foundBy: 'flag'})
    await atHq.openVault({identities: [parseIdentity(hq.identity)]})
    await attached(atHq, async (outcome) => {
      expect((await metadataOf(atHq, outcome)).tags).toHaveProperty('Composite:GPSLatitude')
    })
  })
})
