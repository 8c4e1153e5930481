/**
 * Check 7, `vault`: every exhibit's original (SHA-256, and SHA-512 and size when the ingest event
 * states them) and metadata record, re-hashed from the vault, are what its ingest event says.
 * In an encrypted vault without a key that opens it, each is checked as stored (its age file's
 * SHA-256 and size, which the event records too) and the detail says that its content was not.
 * Each object checked is marked as named by an event, for the warning about those no event names
 * (leftovers.ts).
 */
import type {ExhibitClaim} from '../claim-index.js'
import type {CaseCheck, CaseContext, CaseFinding, VerifyProgress} from './context.js'
import {resultOf} from './context.js'
import {describeObject} from './describe-object.js'
import {addressOf} from '../../vault/sealed-objects.js'
import {CASE_IDENTITY_RECIPIENTS_FILE, caseKeyMode} from '../../keys/case-keys.js'

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
    context.intactExhibits = intact
    const how = !context.storedOnly
      ? 'original and metadata record re-hashed'
      : context.notForKey > 0
        ? `original and metadata record re-hashed, but for ${context.notForKey} objects that none of the identities given opens, checked as stored (their age files re-hashed): ${
            caseKeyMode(context.kase) === 'field'
              ? 'they were stored before that recipient was added, and open with the identity of a recipient of their time'
              : `.custody/keys/${CASE_IDENTITY_RECIPIENTS_FILE}, through which a recipient added later opens what was stored before it, is missing or does not open with the identities given`
          }`
        : `as stored: their age files re-hashed; their content was not checked, which needs a key of the case (the passphrase, or a recipient's identity)`
    return resultOf(`${intact}/${claims.size} exhibits intact (${how})`, problems)
  },
}

/** Checks one exhibit's original, then its metadata record, counting each in `progress`; returns whether both are intact. */
async function checkExhibit(context: CaseContext, claim: ExhibitClaim, problems: CaseFinding[], progress: VerifyProgress): Promise<boolean> {
  const {kase, claims} = context
  claims.reference(claim.stored === undefined ? claim.sha256 : addressOf(claim.stored.original))
  const original = await kase.vault.checkRecorded(
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
    const stored = claim.stored?.record
    claims.reference(stored === undefined ? claim.record : addressOf(stored))
    const record = await kase.vault.checkRecorded({sha256: claim.record}, stored)
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
