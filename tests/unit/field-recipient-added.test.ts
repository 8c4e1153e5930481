/**
 * The parts of "a recipient added after a field case's first run" (docs/design/encryption-at-rest.md,
 * "Left" 4) below the CLI: the recipients as the ledger records them where no key opens the
 * bodies, recipients.txt's labels read back, a run's key wrapped to a recipient added by another
 * process, and how the chain check names the events it could not open. The whole flow, through the built CLI, is tests/e2e/field-recipient-added.test.ts.
 */
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {afterAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {Case, initCase} from '../../src/case/case.js'
import {CASE_IDENTITY_LABEL, LABEL_SEALED, recipientAddedDrafts, recipientsOnRecord, recipientsFileText} from '../../src/keys/case-keys.js'
import {addRecipients} from '../../src/keys/add-recipient.js'
import {openRunKey} from '../../src/ledger/run-keys.js'
import {UnopenedEvents} from '../../src/verify/case/chain.js'
import {PASSPHRASE, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-field-recipient-unit-')
afterAll(() => work.remove())

describe('recipientsOnRecord', () => {
  it("a field case's passphrase: every recipient from the public facts, no label; HQ's identity: the labels", async () => {
    const hq = generateIdentity()
    const other = generateIdentity()
    const dir = join(work.path, 'field')
    await initCase({
      dir,
      title: 'T',
      investigator: 'Ana Quintela',
      passphrase: PASSPHRASE,
      recipients: [parseRecipient(hq.recipient), parseRecipient(other.recipient)],
      labels: new Map([[hq.recipient, 'HQ Kyiv']]),
      field: true,
      sealedBodies: true,
    })
    await using kase = Case.open({root: dir, foundBy: 'flag'})
    await kase.openVault({passphrase: PASSPHRASE})
    expect(kase.ledger.bodiesLocked).toBe(true)
    const locked = recipientsOnRecord(kase)
    expect(locked.map((r) => [r.recipient, r.label])).toEqual([
      [hq.recipient, null],
      [other.recipient, null],
    ])
    expect(locked.every((r) => Number.isInteger(r.seq) && r.seq > 0)).toBe(true)

    await using atHq = Case.open({root: dir, foundBy: 'flag'})
    await atHq.openVault({identities: [parseIdentity(hq.identity)]})
    expect(recipientsOnRecord(atHq).map((r) => [r.recipient, r.label, r.seq])).toEqual(locked.map((r) => [r.recipient, r.recipient === hq.recipient ? 'HQ Kyiv' : 'HQ recipient', r.seq]))
  }, 60_000)
})

describe("a run's key", () => {
  it('is wrapped to a recipient that another process added after this one opened its keys, before its first append', async () => {
    const hq = generateIdentity()
    const later = generateIdentity()
    const dir = join(work.path, 'concurrent')
    await initCase({dir, title: 'T', investigator: 'Ana Quintela', passphrase: PASSPHRASE, recipients: [parseRecipient(hq.recipient)], field: true, sealedBodies: true})
    // The first process opens its keys: the recipients are HQ's alone.
    await using first = Case.open({root: dir, foundBy: 'flag'})
    await first.unlock(PASSPHRASE, {writeOnly: true})
    // Another adds a recipient meanwhile.
    {
      await using second = Case.open({root: dir, foundBy: 'flag'})
      await second.unlock(PASSPHRASE)
      const added = await addRecipients(second, {unlock: {passphrase: PASSPHRASE}, passphrase: PASSPHRASE, recipients: [parseRecipient(later.recipient)]})
      expect(added.added).toHaveLength(1)
    }

    // The first appends now: its run began after the recipient was recorded, so it opens with that identity.
    first.ledger.append(() => ({drafts: recipientAddedDrafts('Ana Quintela', [parseRecipient(generateIdentity().recipient)], undefined), result: undefined}))
    const db = new Database(join(dir, '.custody', 'ledger.sqlite'), {readonly: true})
    const runs = db.prepare<[], {id: number; wrapped: Buffer}>('SELECT id, wrapped FROM runs ORDER BY id').all()
    db.close()
    const opens = runs.map((run) => openRunKey(run.wrapped, [parseIdentity(later.identity)], `run ${run.id}`) !== undefined)
    // init's run and the add's run (wrapped to the recipients before it) do not open with it; the first process's does.
    expect(opens).toEqual([false, false, true])
    expect(runs.every((run) => openRunKey(run.wrapped, [parseIdentity(hq.identity)], `run ${run.id}`) !== undefined)).toBe(true)
  }, 60_000)
})

describe('recipientsFileText', () => {
  it('gives each recipient its label, or, where the ledger keeps its event bodies encrypted, none but the case identity\'s', () => {
    const [a, b] = [generateIdentity().recipient, generateIdentity().recipient]
    const named = [{recipient: a, label: CASE_IDENTITY_LABEL}, {recipient: b, label: 'HQ legal: Kyiv'}]
    expect(recipientsFileText(named, false)).toContain(`# HQ legal: Kyiv\n${b}\n`)
    const sealed = recipientsFileText(named, true)
    expect(sealed).not.toContain('Kyiv')
    expect(sealed).toContain(`# ${CASE_IDENTITY_LABEL}\n${a}\n# ${LABEL_SEALED}\n${b}\n`)
  })
})

describe("the chain check's events not opened", () => {
  const described = (seqs: number[]): string => {
    const unopened = new UnopenedEvents()
    for (const seq of seqs) unopened.add(seq)
    return `${unopened.count}: ${unopened.describe()}`
  }

  it('names runs of event numbers, a few of them, and counts all', () => {
    expect(described([0])).toBe('1: event 0')
    expect(described([0, 1, 2, 3, 4])).toBe('5: events 0..4')
    expect(described([0, 1, 3, 5, 6])).toBe('5: events 0..1, 3, 5..6')
    // Runs beyond the fifth are counted, not named; the fifth run is still extended.
    expect(described([0, 2, 4, 6, 8, 9, 10, 12, 14, 15])).toBe('10: events 0, 2, 4, 6, 8..10 and 2 more runs of events')
  })
})
