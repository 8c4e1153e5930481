/**
 * src/keys/case-keys.ts and the work on it (add-recipient.ts, destroy.ts): real cases made by
 * initCase in a temporary folder, real files, real scrypt. The age tool's side is
 * tests/e2e/case-keys.test.ts.
 */
import {cpSync, existsSync, linkSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {decryptBytes} from '../../src/age/decrypt.js'
import {encryptBytes} from '../../src/age/encrypt.js'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {Case, initCase} from '../../src/case/case.js'
import {CustodyError} from '../../src/errors.js'
import {addRecipients} from '../../src/keys/add-recipient.js'
import {
  ADDRESS_KEY_FILE,
  ADDRESS_KEY_RECIPIENTS_FILE,
  CASE_IDENTITY_FILE,
  CASE_IDENTITY_RECIPIENTS_FILE,
  caseKeyMode,
  caseRecipients,
  createCaseKeys,
  keyPath,
  namedRecipients,
  openCaseKeys,
  openForRewrap,
  recipientsOnRecord,
  rewrapCaseKeys,
} from '../../src/keys/case-keys.js'
import {destroyLocalKeys} from '../../src/keys/destroy.js'
import {PASSPHRASE, ROOT, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-case-keys-unit-')
let made = 0

afterAll(() => {
  work.remove()
})

function hqKey(): {identity: ReturnType<typeof parseIdentity>; recipient: ReturnType<typeof parseRecipient>} {
  const {identity, recipient} = generateIdentity()
  return {identity: parseIdentity(identity), recipient: parseRecipient(recipient)}
}

async function newCase(options: {field?: boolean; recipients?: ReturnType<typeof parseRecipient>[]; passphrase?: string} = {}): Promise<Case> {
  const dir = join(work.path, `case-${made++}`)
  await initCase({dir, title: 'Unit case', investigator: 'A. Investigator', passphrase: options.passphrase ?? PASSPHRASE, recipients: options.recipients ?? [], field: options.field ?? false})
  return Case.open({root: dir, foundBy: 'flag'})
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof CustodyError) return error.code
    throw error
  }

  throw new Error('expected a refusal')
}

describe('openCaseKeys', () => {
  it('with the passphrase: the case identity (whose recipient the ledger records first) and the address key every recipient opens', async () => {
    const hq = hqKey()
    using kase = await newCase({recipients: [hq.recipient]})
    expect(caseKeyMode(kase)).toBe('encrypted')
    const keys = await openCaseKeys(kase, {passphrase: PASSPHRASE})
    expect(keys.field).toBe(false)
    expect(keys.addressKey).toHaveLength(32)
    expect(keys.identities.map((i) => i.recipient.text)).toEqual([caseRecipients(kase)[0]!.text])
    expect(keys.recipients.map((r) => r.text)).toEqual([keys.identities[0]!.recipient.text, hq.recipient.text])
    const byHq = await openCaseKeys(kase, {identities: [hq.identity]})
    expect(byHq.addressKey.equals(keys.addressKey)).toBe(true)
    // HQ's identity, then the case identity it opens through case-identity.recipients.age.
    expect(byHq.identities.map((i) => i.recipient.text)).toEqual([hq.recipient.text, keys.identities[0]!.recipient.text])
    // The case identity opens address-key.recipients.age too: it is a recipient like HQ.
    const file = readFileSync(keyPath(kase.dataDir, ADDRESS_KEY_RECIPIENTS_FILE))
    expect((await decryptBytes(file, keys.identities, {object: 'x'})).equals(keys.addressKey)).toBe(true)
  })

  it('takes the passphrase however it was normalised (NFC), as the signing key does', async () => {
    const composed = 'café au lait, passphrase'.normalize('NFC')
    using kase = await newCase({passphrase: composed})
    const keys = await openCaseKeys(kase, {passphrase: composed.normalize('NFD')})
    expect(keys.identities).toHaveLength(1)
  })

  it('refuses a wrong passphrase (WRONG_PASSPHRASE, naming the file) and identities of no recipient (WRONG_KEY)', async () => {
    using kase = await newCase({recipients: [hqKey().recipient]})
    const wrong = await openCaseKeys(kase, {passphrase: 'not the passphrase'}).catch((error: unknown) => error as CustodyError)
    expect(wrong).toMatchObject({code: 'WRONG_PASSPHRASE', subject: keyPath(kase.dataDir, ADDRESS_KEY_FILE)})
    const stranger = await openCaseKeys(kase, {identities: [hqKey().identity]}).catch((error: unknown) => error as CustodyError)
    expect(stranger).toMatchObject({code: 'WRONG_KEY', message: expect.stringMatching(/^none of the identities given is a recipient of this case/)})
  })

  it('in a field case: no case identity, the passphrase opens the address key only', async () => {
    const hq = hqKey()
    using kase = await newCase({field: true, recipients: [hq.recipient]})
    expect(caseKeyMode(kase)).toBe('field')
    const keys = await openCaseKeys(kase, {passphrase: PASSPHRASE})
    expect(keys).toMatchObject({field: true, identities: []})
    expect(keys.recipients.map((r) => r.text)).toEqual([hq.recipient.text])
    expect((await openCaseKeys(kase, {identities: [hq.identity]})).addressKey.equals(keys.addressKey)).toBe(true)
    // The ledger keeps its events sealed: the labels are in them, which the passphrase does not
    // open; the recipients and their events are public facts.
    expect(() => namedRecipients(kase)).toThrow(expect.objectContaining({code: 'CONTENT_LOCKED'}))
    expect(recipientsOnRecord(kase)).toEqual([{recipient: hq.recipient.text, label: null, seq: 2}])
  })

  it('writeOnly (ingest): the address key and the recipients, never the case identity, whose file is not even read', async () => {
    const hq = hqKey()
    using kase = await newCase({recipients: [hq.recipient]})
    const all = await openCaseKeys(kase, {passphrase: PASSPHRASE})
    // The case identity's file gone: only what opens it would notice.
    renameSync(keyPath(kase.dataDir, CASE_IDENTITY_FILE), join(kase.dataDir, 'moved-away.age'))
    const writing = await openCaseKeys(kase, {passphrase: PASSPHRASE, writeOnly: true})
    expect(writing.addressKey.equals(all.addressKey)).toBe(true)
    expect(writing.recipients.map((r) => r.text)).toEqual(all.recipients.map((r) => r.text))
    expect(writing.identities).toEqual([])
    expect(await codeOf(openCaseKeys(kase, {passphrase: PASSPHRASE}))).toBe('KEY_UNREADABLE')
    // A wrong passphrase is still refused, by the address key.
    expect(await codeOf(openCaseKeys(kase, {passphrase: 'not the passphrase', writeOnly: true}))).toBe('WRONG_PASSPHRASE')
    // Case.unlock for writing: the signing key, and a vault that encrypts but reads nothing.
    await kase.unlock(PASSPHRASE, {writeOnly: true})
    expect(kase.vault.encrypted).toBe(true)
    expect(kase.vault.readable).toBe(false)
    expect(kase.signer()).toBeDefined()
  })

  it('refuses a field case without a recipient', async () => {
    expect(await codeOf(createCaseKeys(join(work.path, 'no-recipient'), PASSPHRASE, {recipients: [], field: true}))).toBe('INVALID_ARGUMENT')
  })

  it("says a case made before case keys has none ('none')", async () => {
    const copy = join(work.path, 'reference')
    cpSync(join(ROOT, 'fixtures', 'reference-case', 'case'), copy, {recursive: true})
    using kase = Case.open({root: copy, foundBy: 'flag'})
    expect(caseKeyMode(kase)).toBe('none')
    expect(caseRecipients(kase)).toEqual([])
    expect(await codeOf(openCaseKeys(kase, {passphrase: PASSPHRASE}))).toBe('KEY_UNREADABLE')
  })
})

describe('rewrapCaseKeys', () => {
  it('puts both files under the new passphrase: the old one opens neither, the new one opens the same keys', async () => {
    using kase = await newCase()
    const before = await openCaseKeys(kase, {passphrase: PASSPHRASE})
    await rewrapCaseKeys(kase.dataDir, (await openForRewrap(kase, PASSPHRASE))!, 'the next passphrase')
    expect(await codeOf(openCaseKeys(kase, {passphrase: PASSPHRASE}))).toBe('WRONG_PASSPHRASE')
    const after = await openCaseKeys(kase, {passphrase: 'the next passphrase'})
    expect(after.addressKey.equals(before.addressKey)).toBe(true)
    expect(after.identities[0]!.recipient.text).toBe(before.identities[0]!.recipient.text)
  })
})

describe('addRecipients', () => {
  it('adds a new recipient once, and leaves one the case has already', async () => {
    const hq = hqKey()
    using kase = await newCase()
    await kase.unlock(PASSPHRASE)
    const first = await addRecipients(kase, {unlock: {passphrase: PASSPHRASE}, recipients: [hq.recipient], labels: new Map([[hq.recipient.text, 'HQ']])})
    expect(first).toEqual({added: [{recipient: hq.recipient.text, label: 'HQ', seq: 2}], already: []})
    expect(await addRecipients(kase, {unlock: {passphrase: PASSPHRASE}, recipients: [hq.recipient]})).toEqual({added: [], already: [hq.recipient.text]})
    expect(kase.ledger.eventsOfKind('recipient-added')).toHaveLength(1)
    expect((await openCaseKeys(kase, {identities: [hq.identity]})).addressKey).toHaveLength(32)
  })

  it("gives a recipient added later the case identity, which opens what was encrypted before it was added", async () => {
    const [a, b, c] = [hqKey(), hqKey(), hqKey()]
    using kase = await newCase()
    await kase.unlock(PASSPHRASE)
    expect(existsSync(keyPath(kase.dataDir, CASE_IDENTITY_RECIPIENTS_FILE))).toBe(false)
    const own = await openCaseKeys(kase, {passphrase: PASSPHRASE})
    // Content encrypted before any HQ recipient: to the case identity alone, as the vault stored it.
    const before = encryptBytes(Buffer.from('stored before HQ was a recipient'), [own.recipients[0]!])
    expect(await codeOf(decryptBytes(before, [a.identity], {object: 'before'}))).toBe('WRONG_KEY')

    // The passphrase opens the case identity for the first one...
    await addRecipients(kase, {unlock: {passphrase: PASSPHRASE}, recipients: [a.recipient]})
    const byA = await openCaseKeys(kase, {identities: [a.identity]})
    expect((await decryptBytes(before, byA.identities, {object: 'before'})).toString()).toBe('stored before HQ was a recipient')
    // ...and an HQ identity alone (its passphrase needed only to sign) for the next: each HQ recipient opens it.
    await addRecipients(kase, {unlock: {identities: [a.identity]}, recipients: [b.recipient, c.recipient]})
    const file = readFileSync(keyPath(kase.dataDir, CASE_IDENTITY_RECIPIENTS_FILE))
    for (const hq of [a, b, c]) {
      const text = (await decryptBytes(file, [hq.identity], {object: 'file'})).toString()
      expect(text).toContain(`# public key: ${own.recipients[0]!.text}\n`)
      expect((await decryptBytes(before, (await openCaseKeys(kase, {identities: [hq.identity]})).identities, {object: 'before'})).toString()).toBe('stored before HQ was a recipient')
    }

    // The case identity is not among its recipients: the passphrase's key opens case-identity.age, not this.
    expect(await codeOf(decryptBytes(file, own.identities, {object: 'file'}))).toBe('WRONG_KEY')
  })

  it('writes no case identity for recipients in a field case (it has none); init writes it for those given', async () => {
    const hq = hqKey()
    using field = await newCase({field: true, recipients: [hq.recipient]})
    await field.unlock(PASSPHRASE)
    await addRecipients(field, {unlock: {passphrase: PASSPHRASE}, recipients: [hqKey().recipient]})
    expect(existsSync(keyPath(field.dataDir, CASE_IDENTITY_RECIPIENTS_FILE))).toBe(false)
    expect((await openCaseKeys(field, {identities: [hq.identity]})).identities).toEqual([hq.identity])

    using kase = await newCase({recipients: [hq.recipient]})
    const opened = await openCaseKeys(kase, {identities: [hq.identity]})
    expect(opened.identities.at(-1)!.recipient.text).toBe(caseRecipients(kase)[0]!.text)
  })

  it('refuses a case-identity.recipients.age that holds another identity than the one the ledger records', async () => {
    const hq = hqKey()
    using kase = await newCase({recipients: [hq.recipient]})
    const other = generateIdentity()
    // An adversary with the disk puts an identity of their own there, encrypted to HQ: it is refused, not used.
    writeFileSync(keyPath(kase.dataDir, CASE_IDENTITY_RECIPIENTS_FILE), encryptBytes(Buffer.from(`# public key: ${other.recipient}\n${other.identity}\n`), [hq.recipient]))
    const refused = await openCaseKeys(kase, {identities: [hq.identity]}).catch((error: unknown) => error as CustodyError)
    // Replaced, not mistyped: the case is not as recorded (exit 3).
    expect(refused).toMatchObject({code: 'INTEGRITY', message: expect.stringContaining('does not hold the case identity the ledger records')})
  })
})

describe('destroyLocalKeys', () => {
  it('records the event, overwrites each key file in place with other bytes, and removes it (its speed is bench row (l))', async () => {
    const hq = hqKey()
    using kase = await newCase({recipients: [hq.recipient]})
    await kase.unlock(PASSPHRASE)
    // A second name for the address key's file: it shows what its bytes became (the same inode).
    const keyFile = keyPath(kase.dataDir, ADDRESS_KEY_FILE)
    const witness = join(work.path, 'address-key.link')
    linkSync(keyFile, witness)
    const before = readFileSync(witness)
    const result = await destroyLocalKeys(kase, {reason: 'checkpoint ahead'})
    const after = readFileSync(witness)
    expect(after).toHaveLength(before.length)
    expect(after.equals(before)).toBe(false)
    expect(after.includes(Buffer.from('age-encryption.org/v1'))).toBe(false)
    expect(result.files).toEqual(expect.arrayContaining(['address-key.age', 'case-identity.age']))
    expect(kase.ledger.eventsOfKind('keys-destroyed').map((e) => e.event.payload)).toEqual([{files: result.files, reason: 'checkpoint ahead'}])
    expect(await codeOf(openCaseKeys(kase, {passphrase: PASSPHRASE}))).toBe('KEYS_DESTROYED')
    expect(await codeOf(kase.unlock(PASSPHRASE))).toBe('KEYS_DESTROYED')
    expect((await openCaseKeys(kase, {identities: [hq.identity]})).addressKey).toHaveLength(32)
  })
})
