/**
 * A key rotation forged into a field case's own ledger (issue 20, docs/design/transfers.md
 * "Accept (HQ side)", step 4): someone holding the field laptop but not its passphrase, so not its
 * signing key, makes a key of their own (custody's createSigningKey, under a passphrase of their
 * choosing), appends with the sqlite3 shell a `key-rotated` row that names it as the field key's
 * successor (chained to the ledger's last event, as custody would store it), lets custody sign
 * with the new key by running a write command (an ingest: custody signs onward from no event a
 * checkpoint does not cover, so the forger first signs one over the row with their key), and exports a package to HQ. HQ knows
 * the field case by its real key: the rotation is not proven by a checkpoint the real key signed,
 * and the accept is refused, exit 3, nothing recorded; the field case's own `custody verify` finds
 * the rotation vouched for by no checkpoint of the key it replaces (exit 3). The same forgeries built by hand, without
 * the CLI, are in tests/unit/transfer-rotations.test.ts.
 */
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {CASE_FOLDER, LEDGER_FILE} from '../../src/case/case.js'
import type {CustodyEvent} from '../../src/formats/events.js'
import {sealEvent} from '../../src/ledger/event.js'
import {signCheckpoint} from '../../src/checkpoints/checkpoint.js'
import {Ledger} from '../../src/ledger/ledger.js'
import {createSigningKey, type Signer} from '../../src/keys/signing-key.js'
import {custody, custodyJson, SAMPLES, sqlite, tempDir} from '../helpers/cli.js'
import {initCase, refusedAccept, writeIdentityLine} from '../helpers/transfers.js'

const work = tempDir('custody-transfer-forged-rotation-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
const [field, hq] = [at('field'), at('hq')]
const FORGER_PASSPHRASE = 'a passphrase the field team never chose'

let fieldKey = ''

beforeAll(async () => {
  await initCase(field, 'Kherson', 'Iryna Melnyk', '--plaintext')
  await initCase(hq, 'HQ', 'Olena Kovalenko', '--role', 'hq')
  await writeIdentityLine(hq, at('hq.line'))
  await writeIdentityLine(field, at('field.line'))
  fieldKey = (await custodyJson<{fingerprint: string}>(['key', 'show', '--public', '--case', field])).json.fingerprint
  const ingested = await custody(['ingest', join(SAMPLES, 'Canon.jpg'), '--case', field])
  expect(ingested.code, ingested.stderr).toBe(0)
}, 120_000)

/** The forger's row: a `key-rotated` event naming `next` as the successor of the field key, after the ledger's last event. */
async function forgeRotation(): Promise<Signer> {
  const ledger = join(field, CASE_FOLDER, LEDGER_FILE)
  const next = await createSigningKey(join(field, CASE_FOLDER), FORGER_PASSPHRASE)
  const [seq, prev, time] = sqlite(ledger, "SELECT seq, hash, json_extract(event, '$.time') FROM events ORDER BY seq DESC LIMIT 1;").trim().split('|')
  const event = {
    v: 1,
    seq: Number(seq) + 1,
    time: new Date(Date.parse(time!) + 1000).toISOString(),
    actor: 'Iryna Melnyk',
    action: 'key-rotated',
    exhibit: null,
    payload: {algorithm: 'Ed25519', fingerprint: next.fingerprint, publicKey: next.spki.toString('base64'), holder: 'Iryna Melnyk', replaces: fieldKey, reason: 'new laptop'},
    prev: prev!,
  } as unknown as CustodyEvent
  const row = sealEvent(event)
  sqlite(ledger, `INSERT INTO events (seq, prev_hash, hash, event) VALUES (${event.seq}, '${event.prev}', '${row.hash}', '${row.canonical.replaceAll("'", "''")}');`)
  return next
}

/** The forger's checkpoint over the ledger as it now ends, signed by their own key: custody signs onward from no event a checkpoint does not cover. */
function signForgedHead(next: Signer): void {
  const path = join(field, CASE_FOLDER, LEDGER_FILE)
  const ledger = Ledger.open(path)
  const first = ledger.firstEvent().event
  const caseId = first.action === 'create-case' ? first.payload.caseId : ''
  const heads = ledger.heads()
  const size = ledger.size()
  const checkpoint = signCheckpoint(next, caseId, {treeSize: size, rootHash: Buffer.from(heads.root()).toString('hex'), lastEventHash: ledger.lastHash()!})
  ledger.close()
  sqlite(path, `INSERT INTO checkpoints (seq, tree_size, body, signature) VALUES ((SELECT max(seq) + 1 FROM checkpoints), ${size}, '${checkpoint.body}', '${checkpoint.signature}');`)
}

describe('a key rotation forged into a field ledger', () => {
  it("is refused by HQ's accept: the field key never signed it (exit 3, nothing recorded)", async () => {
    const next = await forgeRotation()
    const forger = next.fingerprint
    // custody signs onward from no event that no checkpoint covers: the forger must sign one too.
    const env = {CUSTODY_PASSPHRASE: FORGER_PASSPHRASE}
    const unsigned = await custody(['ingest', join(SAMPLES, 'Casio.jpg'), '--case', field], {env})
    expect(unsigned.code, unsigned.stdout + unsigned.stderr).toBe(3)
    expect(unsigned.stderr).toContain('ends with 1 event(s) after its last signed checkpoint')
    signForgedHead(next)
    // custody takes the forged row for the case's key: the forger's passphrase opens it, and the ingest signs with it.
    const ingested = await custody(['ingest', join(SAMPLES, 'Casio.jpg'), '--case', field], {env})
    expect(ingested.code, ingested.stderr).toBe(0)
    expect((await custodyJson<{fingerprint: string}>(['key', 'show', '--public', '--case', field])).json.fingerprint).toBe(forger)
    const exported = await custody(['transfer', 'export', '--to', at('hq.line'), '--out', at('forged.zip.age'), '--case', field], {env})
    expect(exported.code, exported.stderr).toBe(0)
    expect(exported.stdout).toContain(`--key ${forger}`)
    // The field case's own verify finds it too: no checkpoint of the key it replaces covers the rotation.
    const verified = await custodyJson<{problems: Array<{check: string; subject: string; message: string}>}>(['verify', '--json', '--case', field])
    expect(verified.code).toBe(3)
    expect(verified.json.problems).toContainEqual(
      expect.objectContaining({subject: expect.stringMatching(/^event \d+$/), message: expect.stringContaining(`it replaces the signing key ${fieldKey}, but no checkpoint signed by that key covers it`)}),
    )
    await refusedAccept(
      hq,
      at('forged.zip.age'),
      [at('field.line')],
      new RegExp(`forged\\.zip\\.age is signed by ${forger} for Iryna Melnyk's case, but --from and the trust list hold ${fieldKey} for it, and the package proves no rotation from it \\(the old key signs none in it\\); nothing was accepted`),
    )
  })
})
