/**
 * Check 8, `testimonies`: every testimony's statement versions and attachments are exhibits with
 * the digests it names, its versions are numbered 1, 2, 3, ..., and each sealed witness identity
 * is intact in the vault and encrypted to the case's identity key. The identity is not decrypted:
 * verification needs no passphrase. Testimony events for an exhibit that is no testimony fail too.
 *
 * A sealed ledger (schema 4) whose bodies no key given opens: the sealed identity records, which
 * the testimony envelopes list as stored (the chain check gathers them), are re-hashed as stored,
 * each named with its event; the rest needs the bodies, and the detail says what it is. The
 * statements and attachments are exhibits, which the vault check re-hashes as stored.
 */
import type {Case} from '../../case/case.js'
import {CustodyError, messageOf} from '../../errors.js'
import type {StoredEvent} from '../../ledger/event.js'
import {plural} from '../../render/text.js'
import {IDENTITY_KEY_FILE, identityPublicKey} from '../../testimony/identity.js'
import {listTestimonies, type TestimonyView} from '../../testimony/testimonies.js'
import type {ClaimIndex} from '../claim-index.js'
import type {CaseCheck, CaseCheckResult, CaseContext, CaseFinding} from './context.js'
import {resultOf} from './context.js'
import {addressOf} from '../../vault/sealed-objects.js'
import {describeObject} from './describe-object.js'

export const testimoniesCheck: CaseCheck = {
  name: 'testimonies',
  async run(context) {
    if (context.unopenedBodies > 0) return checkAsStored(context)
    const {kase, claims} = context
    const problems: CaseFinding[] = []
    let views: TestimonyView[]
    let orphans: StoredEvent[]
    try {
      views = listTestimonies(kase)
      const known = new Set(views.map((v) => v.exhibit))
      orphans = kase.ledger.eventsOfKind('testimony-amended', 'consent-changed', 'identity-viewed').filter((e) => e.event.exhibit === null || !known.has(e.event.exhibit))
    } catch (error) {
      // Encrypted bodies no key given opens: not checked, which the checklist says (verify-case.ts).
      if (error instanceof CustodyError && error.code === 'CONTENT_LOCKED') throw error
      return resultOf('testimony events unreadable', [{check: 'testimony', subject: 'testimony events', message: `cannot be read: ${messageOf(error)}`}])
    }

    for (const orphan of orphans) {
      problems.push({check: 'testimony', subject: `event ${orphan.event.seq}`, message: `a ${orphan.event.action} event for ${String(orphan.event.exhibit)}, which is not a testimony`})
    }

    const key = await identityPublicKey(kase.dataDir).catch(() => undefined)
    // Destroyed by `custody key destroy` (kept for the recipients): nothing left on disk to compare the identities' key with.
    const destroyed = key === undefined && witnessKeyDestroyed(kase)
    let identities = 0
    for (const view of views) {
      const subject = `${view.exhibit} (testimony of ${view.witness})`
      problems.push(...checkParts(view, subject, claims))
      if (view.identity === null) continue
      identities++
      problems.push(...(await checkIdentity(kase, claims, view.identity, subject, destroyed ? 'destroyed' : key?.fingerprint)))
    }

    const detail =
      views.length === 0
        ? 'no testimonies'
        : `${plural(views.length, 'testimony', 'testimonies')}: statement versions and attachments are the exhibits they name; ${plural(identities, 'sealed identity', 'sealed identities')} intact${destroyed && identities > 0 ? ` (the witness identity key was destroyed by \`custody key destroy\`: which key they are encrypted to was not checked; the recipients' copy opens them)` : ''}`
    return resultOf(detail, problems)
  },
}

/**
 * Without a key that opens the bodies: each object a testimony envelope lists (a sealed identity
 * record), its age file re-hashed as stored. A warning when all hold: the rest needs the bodies.
 */
async function checkAsStored({kase, claims, chain}: CaseContext): Promise<CaseCheckResult> {
  const problems: CaseFinding[] = []
  for (const {seq, stored} of chain.listedObjects) {
    claims.reference(addressOf(stored))
    const checked = await kase.vault.checkStored(stored)
    if (checked.status !== 'intact') problems.push({check: 'testimony', subject: `event ${seq}`, ...describeObject(checked)})
  }

  const {length} = chain.listedObjects
  // A converted case's testimonies of before (carried, sealed) list none: their records are among the objects the vault check re-hashed as converted.
  const before = chain.carriedExhibits > 0 ? ' (those of testimonies recorded before the case was encrypted were re-hashed as stored by the vault check, among the converted objects)' : ''
  const listed = length === 0 ? `no event lists a sealed identity record as stored${before}` : `${plural(length, 'sealed identity record', 'sealed identity records')} the testimony events list, as stored: their age files re-hashed${before}`
  const unchecked =
    'not checked, which needs a key that opens the event bodies: which exhibits each statement version and attachment is, against the digests its testimony names (the vault check re-hashed those exhibits as stored), and the key each identity is encrypted to'
  const detail = `${listed}; ${unchecked}`
  return problems.length === 0 ? {status: 'warning', detail, problems} : resultOf(detail, problems)
}

/** The statement versions, numbered from 1 and the first the testimony itself, and the attachments: exhibits of the case, with the digests named. */
function checkParts(view: TestimonyView, subject: string, claims: ClaimIndex): CaseFinding[] {
  const problems: CaseFinding[] = []
  const linked: Array<[string, {exhibit: string; sha256: string}]> = [
    ...view.versions.map((v): [string, {exhibit: string; sha256: string}] => [`statement version ${v.version}`, v]),
    ...view.attachments.map((a): [string, {exhibit: string; sha256: string}] => ['attachment', a]),
  ]
  if (view.versions[0]?.exhibit !== view.exhibit) {
    problems.push({check: 'testimony', subject, message: 'its first statement version is not the testimony exhibit itself', expected: view.exhibit, actual: String(view.versions[0]?.exhibit)})
  }

  view.versions.forEach((v, i) => {
    if (v.version !== i + 1) problems.push({check: 'testimony', subject, message: 'its statement versions are not numbered 1, 2, 3, ...', expected: String(i + 1), actual: String(v.version)})
  })
  for (const [role, x] of linked) {
    const recorded = claims.sha256Of(x.exhibit)
    if (recorded !== x.sha256) {
      problems.push({check: 'testimony', subject, message: `its ${role} ${x.exhibit} ${recorded === undefined ? 'is not an exhibit of the case' : 'is not the file it names'}`, expected: x.sha256, actual: recorded ?? 'no such exhibit'})
    }
  }

  return problems
}

/** The sealed identity record: intact in the vault (and named by an event), and encrypted to the case's identity key. */
async function checkIdentity(
  kase: Case,
  claims: ClaimIndex,
  identity: NonNullable<TestimonyView['identity']>,
  subject: string,
  fingerprint: string | 'destroyed' | undefined,
): Promise<CaseFinding[]> {
  const problems: CaseFinding[] = []
  const stored = kase.vault.storedForm(identity.sealedRecord, identity.stored)
  claims.reference(stored === undefined ? identity.sealedRecord : addressOf(stored))
  // Encrypted without a key that opens it: checked as stored (the vault check says what that leaves out).
  const sealed = await kase.vault.checkRecorded({sha256: identity.sealedRecord}, stored)
  if (sealed.status !== 'intact') {
    const described = describeObject(sealed)
    problems.push({check: 'testimony', subject, ...described, message: described.message.replace('its vault file', 'its sealed identity record')})
  }

  if (fingerprint !== 'destroyed' && identity.encryptedTo !== fingerprint) {
    problems.push({
      check: 'testimony',
      subject,
      message:
        fingerprint === undefined
          ? `the case's witness identity key (.custody/keys/${IDENTITY_KEY_FILE}) is missing or unreadable: the identity cannot be opened`
          : "its identity is encrypted to another key than the case's identity key",
      expected: identity.encryptedTo,
      actual: fingerprint ?? 'no key',
    })
  }

  return problems
}

/** Whether the last `keys-destroyed` event destroyed the witness identity key. */
function witnessKeyDestroyed(kase: Case): boolean {
  const event = kase.ledger.eventsOfKind('keys-destroyed').at(-1)?.event
  return event?.payload.files.includes(IDENTITY_KEY_FILE) === true
}
