/**
 * Check 7, `vault`: every exhibit's original (SHA-256, and SHA-512 and size when the ingest event
 * states them) and metadata record, re-hashed from the vault, are what its ingest event says.
 * In an encrypted vault without a key that opens it, each is checked as stored (its age file's
 * SHA-256 and size, which the event records too) and the detail says that its content was not.
 * Each object checked is marked as named by an event, for the warning about those no event names
 * (leftovers.ts). An object that a `purged` event of its own exhibit names is purged, not
 * missing: counted apart (src/transfers/purge.ts; the purges check holds each event to a receipt).
 */
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import type {StoredObject} from '../../formats/events.js'
import type {ExhibitClaim} from '../claim-index.js'
import type {CaseCheck, CaseContext, CaseFinding, VerifyProgress} from './context.js'
import {resultOf} from './context.js'
import {describeObject} from './describe-object.js'
import {addressOf} from '../../vault/sealed-objects.js'
import type {ObjectCheck, Vault} from '../../vault/vault.js'
import {CASE_IDENTITY_RECIPIENTS_FILE, caseKeyMode} from '../../keys/case-keys.js'
import {plural} from '../../render/text.js'
import {CONVERTED_OBJECT} from './exhibit-numbers.js'

export const vaultCheck: CaseCheck = {
  name: 'vault',
  async run(context) {
    const {claims, options} = context
    const problems: CaseFinding[] = []
    const progress: VerifyProgress = {objectsDone: 0, objectsTotal: claims.size * 2}
    let intact = 0
    // Two workers take the claims from one reader, a page at a time.
    const queue: Iterator<ExhibitClaim> = claims.all()
    const worker = async (): Promise<void> => {
      for (let next = queue.next(); next.done !== true; next = queue.next()) {
        if (await checkExhibit(context, next.value, problems, progress)) intact++
        options.onProgress?.({...progress})
      }
    }

    await Promise.all(Array.from({length: 2}, () => worker()))
    const before = problems.length
    const converted = await checkConverted(context, problems)
    // The exhibits of before a conversion whose ingest events were not opened: intact when every object listed as converted is.
    context.intactExhibits = intact + (problems.length === before ? context.chain.carriedExhibits : 0)
    const purged = context.purgedExhibits === 0 ? '' : `; ${context.purgedExhibits} purged (removed after their receiver's receipt; the ledger keeps their digests)`
    const how = !context.storedOnly
      ? 'original and metadata record re-hashed'
      : context.notForKey > 0
        ? `original and metadata record re-hashed, but for ${context.notForKey} objects that none of the identities given opens, checked as stored (their age files re-hashed): ${
            caseKeyMode(context.kase) === 'field'
              ? 'they were stored before that recipient was added, and open with the identity of a recipient of their time'
              : `.custody/keys/${CASE_IDENTITY_RECIPIENTS_FILE}, through which a recipient added later opens what was stored before it, is missing or does not open with the identities given`
          }`
        : `as stored: their age files re-hashed; their content was not checked, which needs ${caseKeyMode(context.kase) === 'field' ? "a recipient's identity (a field case's passphrase opens no content)" : "a key of the case (the passphrase, or a recipient's identity)"}`
    const own = claims.size > 0 || converted === '' ? `${intact}/${claims.size - context.purgedExhibits} exhibits intact (${how})${purged}` : ''
    return resultOf([own, converted].filter((part) => part !== '').join('; and '), problems)
  },
}

/**
 * A converted case whose exhibits of before the conversion were not opened (their ingest events,
 * written in clear, are carried sealed): the objects its objects-encrypted events list, each
 * re-hashed as stored (purged ones passed over). What the detail line adds.
 */
async function checkConverted(context: CaseContext, problems: CaseFinding[]): Promise<string> {
  const {kase, claims, chain} = context
  if (chain.carriedExhibits === 0) return ''
  let checked = 0
  for (const {seq, stored} of chain.convertedObjects) {
    if (claims.isPurged(CONVERTED_OBJECT, stored.vault)) continue
    claims.reference(addressOf(stored))
    const result = await kase.vault.checkStored(stored)
    checked++
    if (result.status !== 'intact') problems.push({check: 'vault-object', subject: `event ${seq}`, ...describeObject(result)})
  }

  context.storedOnly = true
  context.contentUnchecked += checked
  return `${plural(chain.carriedExhibits, 'exhibit')} recorded before the case was encrypted (custody encrypt), whose ingest events no key given opens: the ${plural(checked, 'object')} the case's objects-encrypted events list, as stored (their age files re-hashed; their content was not checked, which needs a key of the case)`
}

/**
 * Whether a `purged` event of the claim's own exhibit names this object as removed: it is then
 * purged, not missing (one still there is a purge killed before it removed it: a warning, which
 * the next purge clears). Marked as named by an event either way.
 */
function purgedObject(context: CaseContext, claim: ExhibitClaim, sha256: string, recorded: StoredObject | undefined, what: string): boolean {
  const {kase, claims} = context
  const file = kase.vault.recordedFile(sha256, recorded)
  if (!claims.isPurged(claim.exhibit, file)) return false
  const stored = kase.vault.storedForm(sha256, recorded)
  claims.reference(stored === undefined ? sha256 : addressOf(stored))
  if (existsSync(join(kase.dataDir, file))) context.warnings.push(`${claim.exhibit} is recorded as purged, but its ${what} ${file} is still in the vault (a purge was interrupted): run \`custody transfer purge\` again`)
  return true
}

/**
 * One object of a claim, checked by content when a key given opens it, else as stored. A claim
 * whose ingest body was not opened knows no digest of the content: its objects are checked as
 * stored whatever keys were given, and, when some were (a recipient added after a field case's
 * first run, which opens the runs after it only), counted as objects those keys do not open.
 */
async function checkClaimed(context: CaseContext, claim: ExhibitClaim, expected: ObjectCheck['expected'], stored: StoredObject | undefined): ReturnType<Vault['checkRecorded']> {
  const {vault} = context.kase
  if (claim.unopened !== true || stored === undefined || !vault.encrypted || !vault.readable) return vault.checkRecorded(expected, stored)
  return {...(await vault.checkStored(stored)), asStored: true, notForKey: true}
}

/** Checks one exhibit's original, then its metadata record, counting each in `progress`; returns whether both are intact. */
async function checkExhibit(context: CaseContext, claim: ExhibitClaim, problems: CaseFinding[], progress: VerifyProgress): Promise<boolean> {
  const {kase, claims} = context
  if (purgedObject(context, claim, claim.sha256, claim.stored?.original, 'original')) {
    context.purgedExhibits++
    if (claim.record !== undefined) purgedObject(context, claim, claim.record, claim.stored?.record, 'metadata record')
    progress.objectsDone += 2
    return false
  }

  const storedOriginal = kase.vault.storedForm(claim.sha256, claim.stored?.original)
  claims.reference(storedOriginal === undefined ? claim.sha256 : addressOf(storedOriginal))
  const original = await checkClaimed(
    context,
    claim,
    {sha256: claim.sha256, ...(claim.size === undefined ? {} : {size: claim.size}), ...(claim.sha512 === undefined ? {} : {sha512: claim.sha512})},
    claim.stored?.original,
  )
  // Encrypted without a key that opens it: each object as stored.
  if (original.asStored) context.storedOnly = true
  if (original.asStored) context.contentUnchecked++
  if (original.notForKey === true) context.notForKey++
  let ok = original.status === 'intact'
  if (!ok) problems.push({check: 'vault-object', subject: claim.exhibit, ...describeObject(original)})
  progress.objectsDone++
  if (claim.record === undefined) {
    problems.push({check: 'metadata-record', subject: claim.exhibit, message: 'its ingest event names no metadata record'})
    ok = false
  } else {
    const stored = kase.vault.storedForm(claim.record, claim.stored?.record)
    claims.reference(stored === undefined ? claim.record : addressOf(stored))
    const record = await checkClaimed(context, claim, {sha256: claim.record}, stored)
    if (record.notForKey === true) context.notForKey++
    if (record.asStored) context.contentUnchecked++
    if (record.status !== 'intact') {
      const described = describeObject(record)
      problems.push({check: 'metadata-record', subject: claim.exhibit, ...described, message: described.message.replace('its vault file', 'its metadata record')})
      ok = false
    }
  }

  progress.objectsDone++
  return ok
}
