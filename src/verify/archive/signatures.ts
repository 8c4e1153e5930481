/**
 * Check 8 of `custody verify ARCHIVE`, signatures: investigator.pem is, byte for byte, a key that
 * a sealed key event records; checkpoint.json is a checkpoint of this case signed by it
 * (checkpoint.json.sig) whose tree head is the one the seal's inclusion proofs lead to; seal.json
 * is signed by it too (seal.json.sig). With --key, it must be one of the keys given: without, the
 * report says the signer is only the one the archive names.
 */
import {isRecord} from '../../formats/guards.js'
import {verifySignatureStreamed} from '../../keys/signing-key.js'
import {STATEMENT_PATH, STATEMENT_SIGNATURE_PATH} from '../../seal/bag-layout.js'
import {CHECKPOINT_PATH, KEY_PATH} from '../../seal/trust-files.js'
import type {Check, Finding} from '../checklist.js'
import type {ProblemList} from '../problem-list.js'
import {concluded, findings, type ArchiveContext, type ArchiveKey} from './context.js'
import {bagFile, readSignedCheckpoint, recordedKeyOf} from './trust.js'

/** The bag's key file against the recorded keys and the key the statement names. */
async function checkKeyFile(context: ArchiveContext, found: ProblemList<Finding>): Promise<ArchiveKey | undefined> {
  const own = recordedKeyOf(await bagFile(context, KEY_PATH), context.keys)
  context.signingKey = own
  const {fingerprint} = own
  if ('problem' in own) found.push({subject: KEY_PATH, message: own.problem, ...(fingerprint === undefined ? {} : {actual: fingerprint})})
  const statedKey = isRecord(context.statement.key) ? context.statement.key.fingerprint : undefined
  if (fingerprint !== undefined && statedKey !== fingerprint) {
    found.push({subject: STATEMENT_PATH, message: 'names another signing key than the bag holds', expected: fingerprint, actual: String(statedKey)})
  }

  return 'key' in own ? own.key : undefined
}

/** checkpoint.json: signed by the bag's key, over the sealed tree head. */
async function checkCheckpoint(context: ArchiveContext, found: ProblemList<Finding>): Promise<void> {
  const {fingerprint} = context.signingKey
  const {treeHead} = context
  const checkpoint = await readSignedCheckpoint(context, CHECKPOINT_PATH, await bagFile(context, CHECKPOINT_PATH), found)
  context.checkpoint = checkpoint
  if (checkpoint !== undefined && fingerprint !== undefined && checkpoint.keyFingerprint !== fingerprint) {
    found.push({subject: CHECKPOINT_PATH, message: `it is signed by another key than ${KEY_PATH}`, expected: fingerprint, actual: checkpoint.keyFingerprint})
  }

  if (checkpoint !== undefined && (checkpoint.treeSize !== treeHead.size || checkpoint.rootHash !== treeHead.root)) {
    found.push({
      subject: CHECKPOINT_PATH,
      message: "its tree head is not the one the seal's inclusion proofs lead to",
      expected: `${treeHead.size} ${treeHead.root}`,
      actual: `${checkpoint.treeSize} ${checkpoint.rootHash}`,
    })
  }
}

/** seal.json.sig, over seal.json read as a stream (it grows with the exhibits). */
async function checkStatementSignature(context: ArchiveContext, recorded: ArchiveKey | undefined, found: ProblemList<Finding>): Promise<void> {
  const signature = await bagFile(context, STATEMENT_SIGNATURE_PATH)
  const statement = context.files.get(STATEMENT_PATH)
  if (statement === undefined || recorded === undefined) return
  if (signature === undefined) found.push({subject: STATEMENT_SIGNATURE_PATH, message: 'is missing from the bag'})
  else if (!(await verifySignatureStreamed(recorded.spki, () => context.source.chunks(statement.info), signature))) {
    found.push({subject: STATEMENT_PATH, message: `its signature seal.json.sig does not verify with ${recorded.fingerprint}: the statement or its signature was altered`})
  }
}

export const signaturesCheck: Check<ArchiveContext> = {
  name: 'signatures',
  async run(context) {
    const found = findings()
    const recorded = await checkKeyFile(context, found)
    await checkCheckpoint(context, found)
    await checkStatementSignature(context, recorded, found)
    const pinned = context.options.pinnedKeys ?? []
    if (recorded !== undefined && pinned.length > 0 && !pinned.includes(recorded.fingerprint)) {
      found.push({
        subject: KEY_PATH,
        message: `the archive is signed by ${recorded.fingerprint} (${recorded.holder || 'no holder named'}), which is not a key you gave with --key`,
        expected: pinned.join(' or '),
        actual: recorded.fingerprint,
      })
    }

    const trust = {signingKey: null, holder: null, signerPinned: false, timestamps: [], tsaRootsFrom: null}
    context.trust = found.length === 0 && recorded !== undefined ? {...trust, signingKey: recorded.fingerprint, holder: recorded.holder, signerPinned: pinned.includes(recorded.fingerprint)} : trust
    const signer = `checkpoint and seal statement signed by ${String(context.signingKey.fingerprint)} (${context.trust.holder || 'no holder named'})`
    const pinning = context.trust.signerPinned ? ', a key you gave with --key' : ', the key the archive itself names: give --key with the fingerprint you had from the investigator to require it'
    return concluded(context, found, found.length > 0 ? 'signature problems' : `${signer}${pinning}`)
  },
}
