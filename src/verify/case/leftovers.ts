/**
 * After the checks, what is reported as warnings, not problems: vault objects no event names, temp
 * files (and the copies of packages a killed transfer accept left) and batches without an end (an interrupted ingest leaves them, and they change nothing the
 * ledger claims), what killed seals left (a seal recorded but never published among them:
 * seal/leftovers.ts), folders or files of .custody open to other users (case/permissions.ts), and
 * a conversion by `custody encrypt` left unfinished, or an intent file custody did not sign.
 * None is a check of the report's list: each holds, but the user should know.
 */
import {unfinishedConversion} from '../../case/encrypt.js'
import {permissionWarnings} from '../../case/permissions.js'
import {CustodyError, messageOf} from '../../errors.js'
import {caseKeyMode} from '../../keys/case-keys.js'
import {SEALED_EXTENSION, SEALED_FOLDER} from '../../vault/sealed-objects.js'
import {HEX64} from '../../formats/guards.js'
import {unfinishedBatches} from '../../ingest/batch.js'
import {describeSealLeftovers, inspectSeals} from '../../seal/leftovers.js'
import {CUSTODIANS_FOLDER, staleCopies} from '../../transfers/incoming.js'
import type {CaseContext} from './context.js'

/** The warnings, in the report's order. Runs after the vault and testimony checks, which mark the objects events name. */
export async function leftoverWarnings(context: CaseContext): Promise<string[]> {
  const {kase} = context
  const warnings = await unnamedObjects(context)
  for (const temp of await kase.vault.listTempFiles()) warnings.push(`temp file vault/tmp/${temp} (left by an interrupted or running ingest)`)
  for (const copy of await staleCopies(kase.dataDir)) warnings.push(`${CUSTODIANS_FOLDER}/${copy}: a package's copy left by an interrupted transfer accept (nothing was recorded from it; the next accept removes it)`)
  warnings.push(...permissionWarnings(kase.dataDir), ...describeSealLeftovers(await inspectSeals(kase), false))
  const conversion = unfinishedConversion(kase)
  if (conversion !== undefined) warnings.push(conversion)
  try {
    for (const batch of unfinishedBatches(kase)) {
      warnings.push(
        `batch ${batch.id} (started at event ${batch.startedSeq}) has not ended: an ingest was interrupted or is still running; the files it took in are in the case, and running the same command again ingests the rest`,
      )
    }
  } catch (error) {
    // Unreadable events are the chain check's problems; here they only leave the batches unknown.
    // With no key for a sealed ledger's bodies, which is how a field case is verified, say which key would tell.
    warnings.push(
      error instanceof CustodyError && error.code === 'CONTENT_LOCKED'
        ? `whether an interrupted ingest left a batch unfinished is not known: the batch events are in encrypted event bodies that no key given opens (${caseKeyMode(kase) === 'field' ? "an identity of one of the case's recipients opens them" : "the case's passphrase or an identity of one of its recipients opens them"})`
        : `the batch events could not be read: ${messageOf(error)}`,
    )
  }

  return warnings
}

/** Files of the vault that are no custody object, or objects no event names. */
async function unnamedObjects({kase, claims}: CaseContext): Promise<string[]> {
  const warnings: string[] = []
  const [folder, extension] = kase.vault.encrypted ? [SEALED_FOLDER, SEALED_EXTENSION] : ['sha256', '']
  for await (const address of kase.vault.eachObject()) {
    const file = address.split('/')[1] ?? address
    const name = file.endsWith(extension) ? file.slice(0, file.length - extension.length) : ''
    if (!HEX64.test(name) || address.split('/')[0] !== name.slice(0, 2)) {
      warnings.push(`the vault holds a file that is not a custody object: ${folder}/${address}`)
    } else if (!claims.isReferenced(name)) {
      warnings.push(`vault object ${name} is not named by any event (left by an interrupted ingest; harmless)`)
    }
  }

  return warnings
}
