/** Human-readable renderings of the results that commands also return as JSON. */
import type {CaseInfo, InitKeys} from '../case/case.js'
import type {CaseKeyMode, RecordedRecipient} from '../keys/case-keys.js'
import type {CaseSettings} from '../case/settings.js'
import type {CaseStatus} from '../case/status.js'
import type {KeyView} from '../keys/case-key.js'
import type {TimestampReport} from '../timestamps/stamp-case.js'
import type {DescribedExhibit} from '../exhibits/describe.js'
import type {EventView} from '../exhibits/exhibits.js'
import type {EventAction, EventOf, FileFacts, PayloadOf} from '../formats/events.js'
import {renderTestimonySection} from './testimony.js'
import type {IngestReport} from '../ingest/ingest.js'
import {INTERRUPTED_REASON, type IngestFileResult} from '../ingest/results.js'
import type {SealReport} from '../seal/seal.js'
import {describeSealLeftovers, type FinishReport, type SealLeftovers} from '../seal/leftovers.js'
import type {ArchiveReport} from '../verify/verify-archive.js'
import type {VerifyReport} from '../verify/verify-case.js'
import {basename} from 'node:path'
import {formatBytes, plural, safeText} from './text.js'
import {describeCustodian, describeParty, parseCustodian, partyName} from '../transfers/custodian.js'
import {renderReleased, renderReleasedInClear} from './transfers.js'
import type {CustodianPart} from '../transfers/chain.js'
import {parseCheckpoint} from '../checkpoints/checkpoint.js'

/** The case keys as a command shows them: a recipient's label is null where the ledger keeps it encrypted and no key given opens it (recipientsOnRecord). */
export interface ShownKeys {
  mode: CaseKeyMode
  recipients: readonly RecordedRecipient[]
}

/** The case keys' mode and recipients, as init and `key show` list them. */
export function renderCaseKeys(keys: ShownKeys): string[] {
  const mode = {
    encrypted: 'encrypted: the passphrase opens the case identity; each recipient opens the case too',
    field: 'field: no key on this laptop decrypts content; only a recipient does',
    none: 'none: a case made before case keys, its content in clear',
  }[keys.mode]
  return [`  case keys      ${mode}`, ...keys.recipients.map((r) => `  recipient      ${r.recipient}  (${r.label === null ? "its label is recorded encrypted: a recipient's identity shows it" : safeText(r.label)})`)]
}

/** What init says to do next: an investigator's case collects evidence; HQ's receives it. */
const INIT_NEXT = {
  investigator: ['Next: custody ingest PHOTO... (or a folder with --recursive), run from inside this folder or with --case.'],
  hq: [
    "Next: give each field team this case's identity line, to send packages to:",
    '  custody key show --public > hq.custodian',
    "and accept what a team sends, naming it by its own line: custody transfer accept PACKAGE --from TEAM.custodian",
  ],
}

export function renderInit(result: {root: string; info: CaseInfo; signingKey: string; keys: InitKeys}, role: keyof typeof INIT_NEXT = 'investigator'): string {
  const {info} = result
  return [
    `Created case "${safeText(info.title)}" in ${safeText(result.root)}`,
    `  case ID        ${info.caseId}`,
    `  investigator   ${safeText(info.investigator)}`,
    ...(info.organisation ? [`  organisation   ${safeText(info.organisation)}`] : []),
    `  exhibit IDs    ${info.prefix}-000001, ${info.prefix}-000002, ...`,
    `  signing key    Ed25519 ${result.signingKey}`,
    '                 (its private half is in .custody/keys/, encrypted under the passphrase)',
    ...renderCaseKeys(result.keys),
    '',
    ...INIT_NEXT[role],
  ].join('\n')
}

/** A key's holder as the ledger names them, or what to do when it keeps the name encrypted. */
function holderName(holder: string | null): string {
  return holder === null ? 'a name the ledger keeps encrypted' : safeText(holder)
}

export function renderKey(view: KeyView): string {
  return [
    `Signing key   ${view.algorithm} ${view.fingerprint}`,
    `Recorded      event ${view.recordedIn.seq}, ${view.recordedIn.time}, held by ${holderName(view.recordedIn.holder)}`,
    ...view.previous.map((p) => `Replaced      ${p.fingerprint} (held by ${holderName(p.holder)}, events ${p.recordedAt}..${p.replacedAt})`),
    '',
    view.publicKeyPem.trimEnd(),
  ].join('\n')
}

function ingestLine(r: IngestFileResult): string {
  const path = `${r.line === null ? '' : `line ${r.line}: `}${safeText(r.path)}`
  const via = r.symlinkTarget === null ? '' : ` (symlink, followed to ${safeText(r.symlinkTarget)})`
  switch (r.status) {
    case 'ingested': {
      const notes: string[] = []
      if (r.noMetadata) notes.push('no embedded metadata')
      if (r.metadataWarnings.length > 0) notes.push(`ExifTool: ${safeText(r.metadataWarnings.join('; '))}`)
      if (r.changedFrom !== null) notes.push(`changed since ${r.changedFrom} was taken in from this path`)
      return `${r.exhibit}  ${path}${via}  sha256:${r.sha256.slice(0, 16)}…${notes.length ? `  [${notes.join('; ')}]` : ''}`
    }

    case 'would-ingest': {
      return `new        ${path}${via}  sha256:${r.sha256.slice(0, 16)}…  would be ingested`
    }

    case 'already-present': {
      return `${(r.exhibit ?? 'present').padEnd(10)} ${path}${via}  ${safeText(r.reason)}`
    }

    case 'skipped': {
      return `skipped    ${path}: ${safeText(r.reason)}`
    }

    case 'failed': {
      return `FAILED     ${path}: ${safeText(r.error.message)}`
    }
  }
}

/** The report of an ingest, line by line: a batch's report can be long, and is never held whole. */
export function* renderIngest(report: IngestReport): Generator<string> {
  // After Ctrl-C, one line for the files that did not go in rather than one line each.
  let notIn = 0
  for (const r of report.results) {
    if (r.status === 'skipped' && r.reason.startsWith(INTERRUPTED_REASON)) notIn++
    else yield ingestLine(r)
  }

  if (notIn > 0) yield `not in   ${plural(notIn, 'file')}: the run was interrupted (--json lists them)`
  yield* trashLines(report.systemFiles.entries)
  yield ''
  if (report.dryRun) {
    const {counts} = report
    yield `Dry run: ${plural(counts.wouldIngest, 'file')} would be ingested (${formatBytes(report.bytesWouldIngest)}), ${counts.alreadyPresent} already present, ${counts.failed} would fail${counts.skipped ? `, ${counts.skipped} skipped` : ''}. Nothing was written.`
    yield* systemFilesLine(report.systemFiles)
    return
  }

  const {counts} = report
  yield `${plural(counts.ingested, 'file')} ingested (${formatBytes(report.bytesIngested)}), ${counts.alreadyPresent} already present, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}.`
  yield* systemFilesLine(report.systemFiles)
  const b = report.batch
  if (b !== null) {
    const from = b.manifest ? `manifest ${safeText(b.manifest.path)} (sha256 ${b.manifest.sha256.slice(0, 16)}…)` : `${safeText(b.inputs?.paths.join(', ') ?? '')}`
    yield `Batch ${b.id} from ${from}: events #${b.startedSeq ?? '?'} to #${b.endedSeq ?? '?'}${b.earlierRuns.length ? `; run ${b.earlierRuns.length + 1} of this batch` : ''}.`
  }

  if (report.interrupted) yield 'Interrupted: the case is consistent. Run the same command again to ingest the rest.'
}

/** How many system files and folders the walks left out, with the names of the first. */
function* systemFilesLine({count, entries}: IngestReport['systemFiles']): Generator<string> {
  if (count === 0) return
  const names = [...new Set(entries.map((e) => safeText(basename(e.path))))]
  const shown = names.slice(0, 4).join(', ') + (count > 4 ? ', ...' : '')
  yield `${plural(count, 'system file or folder', 'system files and folders')} left out (${shown}): --include-system-files takes them, --json lists them.`
}

/** A trash folder left out that holds files, or could not be listed: deleted files may be evidence. */
function* trashLines(entries: IngestReport['systemFiles']['entries']): Generator<string> {
  for (const e of entries) {
    if (!e.trash || e.files === 0) continue
    const holds = e.files === null ? 'which could not be listed' : `holding ${plural(e.files, 'file')}`
    yield `left out  ${safeText(e.path)}: ${e.what}, ${holds}; deleted files may be evidence: ingest it by name (custody ingest -r PATH), or add --include-system-files`
  }
}

/** For each action, one line of the log: what the event did, with what is needed to tell it from the others. */
type Summaries<A extends EventAction> = {[K in A]: (payload: PayloadOf[K]) => string}

/** The case and its keys, settings, timestamps and restores. */
const CASE_SUMMARIES: Summaries<'create-case' | 'key-created' | 'key-rotated' | 'recipient-added' | 'keys-destroyed' | 'objects-encrypted' | 'case-encrypted' | 'ledger-converted' | 'config' | 'timestamp' | 'restore-accepted'> = {
  'objects-encrypted': (p) => `${plural(p.objects.length, 'vault object')} encrypted at keyed addresses (custody encrypt)`,
  'case-encrypted': (p) =>
    `case encrypted: ${plural(p.objects, 'vault object')} converted${p.field === true ? ', a field case: only its recipients decrypt it' : `, case recipient ${String(p.caseRecipient)}`}; its plaintext removed`,
  'ledger-converted': (p) => `ledger encrypted: its first ${plural(p.carried, 'event')} sealed, their hashes kept as written (custody encrypt)`,
  'create-case': (p) =>
    `case "${safeText(p.title)}" created (prefix ${p.prefix})${p.field === true ? ', a field case: only its recipients decrypt it' : p.caseRecipient === undefined ? '' : `, case recipient ${p.caseRecipient}`}`,
  'recipient-added': (p) => `recipient ${p.recipient}${p.label === undefined ? '' : ` (${safeText(p.label)})`} added: its identity opens the case`,
  'keys-destroyed': (p) => `local keys destroyed (${p.files.map(safeText).join(', ')})${p.reason === null ? '' : `: ${safeText(p.reason)}`}; only a recipient's identity opens the case now`,
  'key-created': (p) => `signing key ${p.algorithm} ${p.fingerprint} held by ${safeText(p.holder)}`,
  'key-rotated': (p) => `signing key ${p.fingerprint} held by ${safeText(p.holder)} replaces ${p.replaces}: ${safeText(p.reason)}`,
  config(p) {
    const value = p.setting === 'tsa' ? p.value : p.value.map((root) => root.subject)
    return `set ${p.setting} = ${safeText(value.join(', ')) || '(nothing)'}`
  },
  timestamp(p) {
    const failures = p.failures.length
    const over = `checkpoint ${p.checkpoint.seq} (${p.checkpoint.treeSize} events)`
    return p.tokens.length === 0
      ? `${over} waiting: no Time-Stamp Authority answered (${plural(failures, 'failure')})`
      : `${over} stamped by ${p.tokens.map((t) => `${safeText(t.tsa)} at ${t.genTime}`).join('; ')}${failures ? `; ${plural(failures, 'TSA')} failed` : ''}`
  },
  'restore-accepted'(p) {
    const body = parseCheckpoint(p.lost.checkpoint)
    const what = 'problem' in body ? 'a checkpoint' : `the checkpoint of ${body.treeSize} events (root ${body.rootHash.slice(0, 16)}…)`
    return `an older copy of the case was put back; ${what} custody had signed is lost, and exhibit numbers up to ${p.reservedExhibitNumbers} are not given again: ${safeText(p.reason)}`
  },
}

/** A file as the log names it: its path, or the name recorded in its place. */
function fileName(file: FileFacts): string {
  return safeText(file.path ?? file.name)
}

/** A file taken in, presented again or refused, and the batches they come in. */
const FILE_SUMMARIES: Summaries<'ingest' | 'presented-again' | 'ingest-failed' | 'batch-started' | 'batch-ended'> = {
  ingest: (p) => `${fileName(p.file)}  sha256:${p.digests.sha256.slice(0, 16)}…  ${formatBytes(p.size)}${p.received === undefined ? '' : `  received: the sender's ${p.received.exhibit}, ${p.received.transferId}`}`,
  'presented-again': (p) => `${fileName(p.file)} presented again (same SHA-256)`,
  'ingest-failed': (p) => `${fileName(p.file)}: ${safeText(p.error.message)}`,
  'batch-started'(p) {
    const from = p.manifest ? `manifest ${safeText(p.manifest.path)} sha256:${p.manifest.sha256.slice(0, 16)}…` : safeText(p.inputs?.paths.join(', ') ?? '')
    return `${p.batch} started: ${plural(p.files, 'file')} (${formatBytes(p.bytes)}) from ${from}${p.resumes === null ? '' : `; runs again the batch of #${p.resumes}`}`
  },
  'batch-ended'(p) {
    const {counts} = p
    return `${p.batch} ${p.interrupted ? 'interrupted' : 'ended'}: ${counts.ingested} ingested, ${counts.alreadyPresent} already present, ${counts.failed} failed, ${counts.skipped} skipped`
  },
}

/** A seal and the exhibits it took. */
const SEAL_SUMMARIES: Summaries<'seal' | 'sealed-exhibits' | 'transfer-released' | 'field-transfer-released' | 'transfer-received' | 'transfer-refused' | 'transfer-acknowledged' | 'custodian-trusted' | 'custodian-distrusted' | 'purged'> = {
  seal: (p) => `${p.sealId}: ${plural(p.exhibitCount, 'exhibit')} sealed into ${safeText(p.archive.name)}  sha256:${p.archive.sha256.slice(0, 16)}…`,
  'sealed-exhibits'(p) {
    const {exhibits, first} = p
    const range = exhibits.length === 1 ? `exhibit ${first}` : `exhibits ${first}–${first + exhibits.length - 1}`
    return `${p.sealId}: ${range}: ${exhibits.slice(0, 3).join(', ')}${exhibits.length > 3 ? ', …' : ''}`
  },
  'transfer-released'(p) {
    const to = receiverName(p.to)
    return `${p.transferId}: ${plural(p.items.length, 'exhibit')} released to ${to} in ${p.sealId}, as ${safeText(p.package.name)}  sha256:${p.package.sha256.slice(0, 16)}…`
  },
  'field-transfer-released'(p) {
    const to = receiverName(p.to)
    return `${p.transferId}: ${plural(p.items.length, 'exhibit')} released to ${to} as stored (a field package, ${p.treeHead.size} events), as ${safeText(p.package.name)}  sha256:${p.package.sha256.slice(0, 16)}…`
  },
  'transfer-acknowledged': (p) =>
    `${p.transferId}: receipt from ${receiverName(p.by)}, received ${p.receipt.receivedAt}, ${p.condition}: ${plural(p.acknowledged.length, 'exhibit')} acknowledged; head ${p.cosigned.size} cosigned  sha256:${p.receipt.sha256.slice(0, 16)}…`,
  purged: (p) =>
    `purged from this case's vault (${p.objects.length === 0 ? 'no object of its own' : p.objects.map((o) => o.role.replace('-', ' ')).join(' and ')}) after ${receiverName(p.by)} acknowledged it in ${p.transferId}: receipt sha256:${p.receipt.sha256.slice(0, 16)}… (event ${p.receipt.seq})`,
  'transfer-received': (p) =>
    `${p.transferId}: ${plural(p.items.length, 'exhibit')} received from ${receiverName(p.from)} (its ${p.sealId ?? 'field package'}, ${p.treeHead.size} events), as ${safeText(p.package.name)}  sha256:${p.package.sha256.slice(0, 16)}…; receipt sha256:${p.receipt.sha256.slice(0, 16)}…`,
  'transfer-refused': (p) =>
    `${p.transferId}: package from ${receiverName(p.from)} (its ${p.sealId ?? 'field package'}, ${p.treeHead.size} events) refused, as ${safeText(p.package.name)}  sha256:${p.package.sha256.slice(0, 16)}…: ${plural(p.failed.length, 'item')} failed (${p.failed
      .slice(0, 3)
      .map((f) => f.exhibit)
      .join(', ')}${p.failed.length > 3 ? ', …' : ''}), nothing taken in; receipt sha256:${p.receipt.sha256.slice(0, 16)}…`,
  'custodian-trusted': (p) => `packages from ${receiverName(p.custodian)} accepted from now on${p.replaces === null ? '' : `, in place of its key ${p.replaces}`}`,
  'custodian-distrusted': (p) => `packages from ${receiverName(p.custodian)} no longer accepted`,
}

/** A receiver as the log names it: its name and key fingerprint, read from the recorded identity line. */
function receiverName(line: string): string {
  try {
    return safeText(describeCustodian(parseCustodian(line)))
  } catch {
    return 'a custodian whose recorded identity cannot be read'
  }
}

/** A testimony, its corrections, its consent and who looked at the witness's identity. */
const TESTIMONY_SUMMARIES: Summaries<'testimony' | 'testimony-amended' | 'consent-changed' | 'identity-viewed'> = {
  testimony: (p) =>
    `testimony of ${safeText(p.witness)}; consent: ${p.consent.scopes.join(', ') || 'none'}; ${plural(p.attachments.length, 'attachment')}${p.identity ? '; identity encrypted' : ''}`,
  'testimony-amended': (p) => `statement of ${safeText(p.witness)} version ${p.version} is ${p.statement.exhibit}: ${safeText(p.reason)}`,
  'consent-changed': (p) => `consent of ${safeText(p.witness)}: ${[...p.granted.map((s) => `+${s}`), ...p.withdrawn.map((s) => `-${s}`)].join(' ')} (as of ${p.at})`,
  'identity-viewed': (p) => `identity of ${safeText(p.witness)} looked at${p.reason === null ? '' : `: ${safeText(p.reason)}`}${p.disclosed ? ' (disclosed to a file)' : ''}`,
}

/** Every action's line: an action without one is refused by the compiler. */
const SUMMARIES: Summaries<EventAction> = {...CASE_SUMMARIES, ...FILE_SUMMARIES, ...SEAL_SUMMARIES, ...TESTIMONY_SUMMARIES}

function eventSummary<A extends EventAction>(e: EventOf<A>): string {
  const summary: (payload: PayloadOf[A]) => string = SUMMARIES[e.action]
  return summary(e.payload)
}

/** The log, a line an event, one at a time (a case's log can be long). */
export function* renderLog(events: Iterable<EventView>): Generator<string> {
  let any = false
  for (const e of events) {
    any = true
    yield `#${String(e.seq).padEnd(5)} ${e.time}  ${e.action.padEnd(15)} ${(e.exhibit ?? '').padEnd(10)} ${safeText(e.actor)}  ${eventSummary(e)}`
  }

  if (!any) yield 'No events.'
}

/** An exhibit's story across custodians (`custody log EXHIBIT --custodians`): each ledger's part, its header, then its events. */
export function* renderChain(parts: readonly CustodianPart[]): Generator<string> {
  for (const part of parts) {
    const who = safeText(partyName(part.custodian))
    const whose = part.ledger === 'sender' ? `In the ledger of ${who}` : `In this case's ledger, kept by ${who}`
    yield `${whose}, case ${part.custodian.case}, as ${part.exhibit}: ${plural(part.events.length, 'event')}`
    yield part.transfer === null
      ? `  under this case's newest signed head, ${part.head.size} events, root ${part.head.root}; key ${part.custodian.fingerprint}`
      : `  under its head of ${part.head.size} events, root ${part.head.root}, signed by ${part.custodian.fingerprint}; released ${part.transfer.releasedAt} in ${part.transfer.transferId}, verified again from .custody/${safeText(part.transfer.kept)}`
    for (const line of renderLog(part.events)) yield `  ${line}`
  }
}

export function renderShow(x: DescribedExhibit): string {
  const m = x.metadata.normalised
  const capture = m.captureTime
  const captureText = capture
    ? `${capture.local}${capture.offset ?? ''}${capture.offset === null ? '  (no time-zone offset in the file)' : ''}${capture.utc ? `  = ${capture.utc}` : ''}  [${capture.source}]`
    : 'none in the file'
  const gps = m.gps ? `${m.gps.latitude}, ${m.gps.longitude}${m.gps.altitude === null ? '' : `, altitude ${m.gps.altitude} m`}  [${m.gps.source}]` : 'none in the file'
  const device = [m.device.make, m.device.model].filter(Boolean).join(' ') || 'unknown'
  const collected = Object.entries(x.collected)
    .filter(([key]) => key !== 'offset')
    .map(([key, value]) => `${key} ${safeText(String(value))}`)
  const lines = [
    `${x.exhibit}  ${safeText(x.file.name)}`,
    x.file.path !== null
      ? `  original path    ${safeText(x.file.path)}${x.file.symlinkTarget ? ` (symlink to ${safeText(x.file.symlinkTarget)})` : ''}`
      : `  original path    not recorded (${safeText(x.file.withheld ?? 'withheld')})`,
    `  size             ${x.size} bytes (${formatBytes(x.size)})`,
    `  sha256           ${x.digests.sha256}`,
    `  sha512           ${x.digests.sha512}`,
    x.purged === undefined
      ? `  vault            ${safeText(x.vault.path)}`
      : `  vault            purged ${x.purged.at} (event #${x.purged.seq}), after ${safeText(x.purged.by)} acknowledged it in ${x.purged.transferId} (receipt sha256:${x.purged.receipt.slice(0, 16)}…); the ledger keeps its digests`,
    x.received === undefined
      ? `  ingested         ${x.ingestedAt} by ${safeText(x.ingestedBy)}`
      : `  received         ${x.ingestedAt} by ${safeText(x.ingestedBy)}, in ${x.received.transferId}: the sender's exhibit ${x.received.exhibit} (case ${x.received.case}, its event #${x.received.seq})`,
    ...(collected.length ? [`  collected        ${collected.join('; ')}`] : []),
    ...(x.note ? [`  note             ${safeText(x.note)}`] : []),
    ...(x.tags ? [`  tags             ${Object.entries(x.tags).map(([k, v]) => `${safeText(k)}=${safeText(v)}`).join('; ')}`] : []),
    ...(x.batch ? [`  batch            ${x.batch}${x.manifestLine === undefined ? '' : `, manifest line ${x.manifestLine}`}`] : []),
    '  metadata',
    `    type           ${m.mimeType ?? 'unknown'}${m.fileType ? ` (${m.fileType})` : ''}`,
    `    captured       ${captureText}`,
    `    GPS            ${gps}`,
    `    device         ${safeText(device)}${m.device.serialNumber ? `, serial ${safeText(m.device.serialNumber)}` : ''}`,
    `    software       ${safeText(m.software ?? 'none recorded')}`,
    `    image size     ${m.image ? `${m.image.width} x ${m.image.height}` : 'n/a'}`,
    `    full record    ${x.purged === undefined ? safeText(x.metadata.recordPath) : 'purged with the original'} (${x.metadata.reader})`,
    ...[...x.metadata.errors, ...x.metadata.warnings].map((w) => `    ExifTool says  ${safeText(w)}`),
    ...(x.testimony ? renderTestimonySection(x.testimony) : []),
    ...x.partOf.map((p) => `  part of          testimony ${p.testimony} of ${safeText(p.witness)}, as its ${p.role}`),
    '  events',
    ...[...renderLog(x.events)].map((line) => `    ${line}`),
  ]
  return lines.join('\n')
}

export function renderVerify(report: VerifyReport): string {
  // A warning (what a check could not check: encrypted event bodies no key given opens) is no failure.
  const mark = {ok: 'ok  ', warning: 'warn', failed: 'FAIL'} as const
  const lines = report.checks.map((c) => `${mark[c.status]}  ${c.name.padEnd(12)} ${c.detail}`)
  for (const p of report.problems) {
    lines.push(`FAIL  ${p.subject}: ${safeText(p.message)}`)
    if (p.expected !== undefined) lines.push(`        expected ${safeText(p.expected)}`)
    if (p.actual !== undefined) lines.push(`        actual   ${safeText(p.actual)}`)
  }

  if (report.problemCount > report.problems.length) lines.push(`FAIL  … and ${plural(report.problemCount - report.problems.length, 'more problem')} (only the first ${report.problems.length} are listed)`)
  for (const w of report.warnings) lines.push(`note  ${safeText(w)}`)
  lines.push(
    '',
    report.ok
      ? `Case intact: ${plural(report.ledger.events, 'event')}, ${plural(report.exhibits.total, 'exhibit')}${report.exhibits.purged > 0 ? ` (${report.exhibits.purged} purged)` : ''}, tree head ${report.ledger.treeHead}.`
      : `INTEGRITY CHECK FAILED: ${plural(report.problemCount, 'problem')}. Do not add to this case until it is explained; keep a copy of it as it is.`,
  )
  return lines.join('\n')
}

export function renderSeal(report: SealReport): string {
  const s = report.statement
  return [
    report.encrypted === null
      ? `Sealed ${plural(report.exhibitCount, 'exhibit')} into ${safeText(report.archive)}`
      : `Sealed ${plural(report.exhibitCount, 'exhibit')} into ${safeText(report.encrypted.file)}, encrypted to ${plural(report.encrypted.recipients, 'recipient')} (no ${safeText(basename(report.archive))} in clear was written)`,
    `  seal           ${s.sealId} (ledger event #${report.seq})`,
    ...(report.encrypted === null ? [] : [`  encrypted      ${formatBytes(report.encrypted.size)}, sha256 ${report.encrypted.sha256} (the .age file)`]),
    `  archive        ${formatBytes(report.size)}, sha256 ${report.sha256}${report.encrypted === null ? '' : ` (the ZIP inside, as the ledger records it: ${safeText(basename(report.archive))})`}`,
    `  bag            ${report.bag}/ (BagIt 1.0, SHA-256 and SHA-512 manifests)`,
    `  tree head      ${s.treeHead.size} events, root ${s.treeHead.root}`,
    ...(s.purpose ? [`  purpose        ${safeText(s.purpose)}`] : []),
    ...(s.testimonies.length ? [`  testimony      ${s.testimonies.map((t) => `${safeText(t.witness)} (${t.exhibit})`).join(', ')}`] : []),
    ...report.leftOut.map((l) => `  left out       ${l.exhibit} (testimony ${l.testimony}): ${safeText(l.reason)}`),
    ...(report.purged > 0 ? [`  left out       ${plural(report.purged, 'exhibit')} purged after their receiver acknowledged them (their vault objects are gone)`] : []),
    ...describeSealLeftovers(report.leftovers, true).map((line) => `  earlier seal   ${safeText(line)}`),
  ].join('\n')
}

export function renderFinishedSeal(report: FinishReport): string {
  return [
    report.status === 'published' ? `Put the archive of seal ${report.sealId} at ${safeText(report.archive)}` : `The archive of seal ${report.sealId} was already at ${safeText(report.archive)}`,
    `  seal           ${report.sealId} (ledger event #${report.seq})`,
    `  archive        ${formatBytes(report.size)}, sha256 ${report.sha256} (as the ledger recorded it)`,
  ].join('\n')
}

/** What status says of seals: under way, and what killed ones left. */
function renderSeals(seals: SealLeftovers): string[] {
  const lines = [
    ...seals.running.map((s) => `a seal of ${safeText(s.archive)} is under way (process ${s.pid}, since ${s.startedAt})`),
    ...describeSealLeftovers(seals, true).map((line) => safeText(line)),
  ]
  return lines.length === 0 ? ['none under way, nothing left by interrupted ones'] : lines
}

/** The hand-overs a seal of received exhibits proves: each custodian, and when each released and received. */
function handOverLines(handOvers: NonNullable<ArchiveReport['custodians']>): string[] {
  const who = (c: (typeof handOvers)[number]['from']): string => safeText(describeParty(c, ' '))
  return handOvers.flatMap((h) => [
    `      ${h.transferId}: ${plural(h.items, 'exhibit')} of this archive`,
    `        released ${h.releasedAt} by ${who(h.from)}`,
    `        received ${h.receivedAt} by ${who(h.to)}`,
  ])
}

/** The last line of `verify` of a field package: what it is, who signed it, and whether its evidence was opened. */
function fieldPackageVerdict(report: ArchiveReport): string {
  if (!report.ok) return `FIELD PACKAGE CHECK FAILED: ${plural(report.problemCount, 'problem')} in ${safeText(report.archive)}.`
  const t = report.transfer
  const content = report.checks.find((c) => c.name === 'objects')?.detail.includes('decrypted') === true ? 'the evidence decrypted and held to the ledger' : 'the evidence not opened (no identity given)'
  const who = `${safeText(report.trust?.holder ?? '')} (${report.trust?.signingKey ?? ''}${report.trust?.signerPinned ? ', a key you named' : ', the key the package itself names'})`
  return `Field package intact: ${t?.transferId ?? ''}, ${plural(report.exhibits, 'exhibit')} as stored and ${plural(report.events, 'event')} of the sender's ledger, signed by ${who}; ${content}${report.warnings.length > 0 ? `; ${plural(report.warnings.length, 'warning')} above` : ''}.`
}

export function renderArchiveVerify(report: ArchiveReport): string {
  const mark = {ok: 'ok  ', warning: 'warn', failed: 'FAIL'} as const
  const lines = report.checks.map((c) => `${mark[c.status]}  ${c.name.padEnd(13)} ${safeText(c.detail)}`)
  lines.push(...handOverLines(report.custodians ?? []))
  for (const p of report.problems) {
    lines.push(`FAIL  ${safeText(p.subject)}: ${safeText(p.message)}`)
    if (p.expected !== undefined) lines.push(`        expected ${safeText(p.expected)}`)
    if (p.actual !== undefined) lines.push(`        actual   ${safeText(p.actual)}`)
  }

  if (report.problemCount > report.problems.length) lines.push(`FAIL  … and ${plural(report.problemCount - report.problems.length, 'more problem')} (only the first ${report.problems.length} are listed)`)
  for (const w of report.warnings) lines.push(`warn  ${safeText(w)}`)
  const signer = report.trust?.signingKey
  if (report.encrypted) lines.push(`      the ZIP was read from inside the age file ${safeText(report.archive)}, decrypted in memory: nothing decrypted was written to disk`)
  if (report.kind === 'field-package') {
    lines.push('', fieldPackageVerdict(report))
    return lines.join('\n')
  }

  lines.push(
    '',
    report.ok
      ? `${report.source === 'zip' ? 'Archive' : 'Bag folder'} intact: seal ${report.sealId}, ${plural(report.exhibits, 'exhibit')}, ${plural(report.events, 'event')}, signed by ${signer} (${safeText(report.trust?.holder || 'no holder named')})${
          report.trust?.signerPinned ? ', a key you named' : ', the key the archive itself names'
        }${report.warnings.length > 0 ? `; ${plural(report.warnings.length, 'warning')} above` : ''}.`
      : `${report.source === 'zip' ? 'ARCHIVE' : 'BAG FOLDER'} CHECK FAILED: ${plural(report.problemCount, 'problem')} in ${safeText(report.archive)}.`,
  )
  return lines.join('\n')
}

export function renderSettings(settings: CaseSettings): string {
  return [
    `tsa      ${settings.tsa.length ? settings.tsa.join('\n         ') : '(none)'}`,
    `tsa-ca   ${settings['tsa-ca'].length ? settings['tsa-ca'].map((r) => `${safeText(r.subject)}  sha256:${r.sha256.slice(0, 16)}…`).join('\n         ') : '(none)'}`,
  ].join('\n')
}

export function renderTimestamp(report: TimestampReport): string {
  const c = report.checkpoint
  const over = `checkpoint ${c.seq} (${plural(c.treeSize, 'event')}, sha256 ${c.sha256.slice(0, 16)}…)`
  const lines: string[] = []
  if (report.status === 'up-to-date') return `Nothing new to stamp: ${over} already has a token and covers every event since.`
  for (const t of report.tokens) lines.push(`ok    ${safeText(t.tsa)}  genTime ${t.genTime}  serial ${t.serial}  signed by ${safeText(t.signer)}`)
  for (const f of report.failures) lines.push(`FAIL  ${safeText(f.tsa)}: ${safeText(f.problem)}`)
  lines.push('')
  lines.push(
    report.status === 'stamped'
      ? `Stamped ${over}: ${plural(report.pendingBefore, 'event')} newly covered by trusted time.`
      : `No TSA answered: ${over} is recorded as waiting (${plural(report.pendingBefore, 'event')} not yet timestamped). Run \`custody timestamp\` again when there is a connection.`,
  )
  return lines.join('\n')
}

export function renderStatus(status: CaseStatus): string {
  const t = status.timestamps
  const stamped = t.lastStamped
    ? `checkpoint ${t.lastStamped.checkpointSeq} (${plural(t.lastStamped.treeSize, 'event')}), by ${t.lastStamped.tokens.map((k) => `${safeText(k.tsa)} at ${k.genTime}`).join('; ')}`
    : 'never'
  const cp = status.latestCheckpoint
  return [
    'locked' in status.case
      ? `Case          ${status.case.caseId} in ${safeText(status.root)} (its title, and what its events record, are encrypted: a key opens them)`
      : `Case          "${safeText(status.case.title)}" (${status.case.caseId}) in ${safeText(status.root)}`,
    `Ledger        ${plural(status.events, 'event')}, ${plural(status.exhibits, 'exhibit')}${status.purged > 0 ? ` (${status.purged} purged from the vault after their receiver acknowledged them)` : ''}`,
    `Signed        ${cp ? `checkpoint ${cp.seq} over ${plural(cp.treeSize, 'event')} at ${cp.time}` : 'no checkpoint'}, key ${status.signingKey}`,
    `Timestamped   ${stamped}`,
    `Not yet       ${t.pending === 0 ? 'nothing: every event is covered by a trusted timestamp' : `${plural(t.pending, 'event')} not covered by a trusted timestamp${t.waitingSince ? ` (waiting since ${t.waitingSince}: no TSA answered)` : ''}; run \`custody timestamp\``}`,
    `TSAs          ${status.settings.tsa.length ? status.settings.tsa.map((u) => safeText(u)).join(', ') : '(none set: custody config set tsa URL)'}`,
    `TSA roots     ${status.settings.tsaCa.length ? status.settings.tsaCa.map((u) => safeText(u)).join(', ') : '(none set: custody config set tsa-ca FILE)'}`,
    ...renderSeals(status.seals).map((line, i) => `${i === 0 ? 'Seals' : ''}`.padEnd(14) + line),
    ...(status.released === null ? renderReleasedInClear(status.releasedInClear ?? []) : renderReleased(status.released)).map((line, i) => `${i === 0 ? 'Released' : ''}`.padEnd(14) + line),
    ...(status.conversion === null ? [] : [`${'Encrypting'.padEnd(14)}${safeText(status.conversion)}`]),
  ].join('\n')
}
