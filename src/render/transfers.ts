/** What `custody transfer export` and `custody status` say of transfers, as text. */
import {basename} from 'node:path'
import type {ReleasedInClear} from '../case/status.js'
import type {AcceptReport} from '../transfers/accept.js'
import type {AcknowledgeReport} from '../transfers/acknowledge.js'
import type {NothingNew, TransferReport} from '../transfers/export.js'
import type {ReleasedTo} from '../transfers/released.js'
import type {FieldFinished, FieldNothingNew, FieldTransferReport} from '../transfers/field-export.js'
import type {TrustReport} from '../transfers/trust.js'
import {describeParty} from '../transfers/custodian.js'
import {formatBytes, plural, safeText} from './text.js'

/** A receiver as text: its name, organisation and key fingerprint. */
function receiver(to: TransferReport['to']): string {
  return safeText(describeParty(to))
}

export function renderTransfer(report: TransferReport): string {
  const {seal} = report
  const items = report.items.map((i) => i.exhibit)
  return [
    `Released ${plural(report.items.length, 'exhibit')} to ${receiver(report.to)}`,
    `  transfer       ${report.transferId} (ledger event #${report.seq})`,
    `  package        ${safeText(report.package.file)}, ${formatBytes(report.package.size)}, sha256 ${report.package.sha256}`,
    `                 encrypted to the receiver's age recipient alone; no ${safeText(basename(seal.archive))} in clear was written`,
    `  seal           ${report.sealId} (ledger event #${seal.seq}), tree head ${seal.statement.treeHead.size} events, root ${seal.statement.treeHead.root}`,
    `  exhibits       ${items.slice(0, 5).join(', ')}${items.length > 5 ? `, … (${items.length})` : ''}`,
    ...(report.acknowledged === null ? [] : [`  consistent     with the receiver's last receipt at ${report.acknowledged.size} events`]),
    ...seal.leftOut.map((l) => `  left out       ${l.exhibit} (testimony ${l.testimony}): ${safeText(l.reason)}`),
    ...(report.testimony > 0 ? [`  not sent       ${plural(report.testimony, 'exhibit')} of testimony: a witness consents to uses, and a hand-over is none (not yet carried)`] : []),
    ...(report.remaining > 0 ? [`  not yet sent   ${plural(report.remaining, 'exhibit')} (a package carries at most 1,000): export again`] : []),
    ...(report.purged > 0 ? [`  not sent       ${plural(report.purged, 'exhibit')} purged from this case after a receiver acknowledged them (custody show says who holds them)`] : []),
    `Next: give the receiver ${safeText(basename(report.package.file))} and its SHA-256 above by another way; it checks it with`,
    `  custody verify ${safeText(basename(report.package.file))} --identity KEY --key ${seal.statement.key.fingerprint}`,
  ].join('\n')
}

export function renderNothingNew(report: NothingNew): string {
  const again = report.unacknowledged > 0 ? `; ${plural(report.unacknowledged, 'exhibit')} released to it are not acknowledged: --again sends them again` : ''
  const testimony = report.testimony > 0 ? ` (${plural(report.testimony, 'exhibit')} of testimony aside: a transfer does not carry them yet)` : ''
  const purged = report.purged > 0 ? ` (${plural(report.purged, 'exhibit')} purged from this case aside)` : ''
  return `Nothing new for ${receiver(report.to)}: every exhibit has been released to it${testimony}${purged}${again}. Nothing was written or recorded.`
}

/** A field package made (field-export.ts): what it carries, and that nothing was opened to make it. */
export function renderFieldTransfer(report: FieldTransferReport): string {
  const items = report.items.map((i) => i.exhibit)
  const objects = report.items.reduce((n, i) => n + i.objects.length, 0)
  return [
    `Released ${plural(report.items.length, 'exhibit')} to ${receiver(report.to)}, as stored (a field package)`,
    `  transfer       ${report.transferId} (ledger event #${report.seq})`,
    `  package        ${safeText(report.package.file)}, ${formatBytes(report.package.size)}, sha256 ${report.package.sha256}`,
    `                 encrypted to the receiver's age recipient; inside, ${plural(objects, 'object')} as the vault stores them and the ledger's ${plural(report.treeHead.size, 'row')} as stored: nothing was decrypted`,
    `  tree head      ${report.treeHead.size} events, root ${report.treeHead.root}`,
    `  exhibits       ${items.slice(0, 5).join(', ')}${items.length > 5 ? `, … (${items.length})` : ''}`,
    ...(report.remaining > 0 ? [`  not yet sent   ${plural(report.remaining, 'exhibit')} (a package carries at most 1,000): export again`] : []),
    ...(report.purged > 0 ? [`  not sent       ${plural(report.purged, 'exhibit')} purged from this case`] : []),
    `Next: give the receiver ${safeText(basename(report.package.file))} and its SHA-256 above by another way; only its key opens the evidence inside.`,
  ].join('\n')
}

export function renderFieldFinished(report: FieldFinished): string {
  return `Finished ${report.transferId}: a field package an interrupted export had recorded was put in place, ${safeText(report.package.file)}, ${formatBytes(report.package.size)}, sha256 ${report.package.sha256}. Nothing new was made or recorded; run the export again for what is new.`
}

export function renderFieldNothingNew(report: FieldNothingNew): string {
  const purged = report.purged > 0 ? ` (${plural(report.purged, 'exhibit')} purged from this case aside)` : ''
  return `Nothing new for ${receiver(report.to)}: every exhibit of this case has been released in a field package${purged}. Nothing was written or recorded.`
}

/** status: per receiver, what was released and not acknowledged. */
export function renderReleased(released: readonly ReleasedTo[]): string[] {
  if (released.length === 0) return ['nothing released to another custodian']
  return released.map((r) => {
    const ids = r.unacknowledged
    const last = r.transfers.at(-1)!
    const waiting = ids.length === 0 ? 'everything released is acknowledged' : `${plural(ids.length, 'exhibit')} released, not acknowledged (${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''})`
    return `${receiver(r.receiver)}: ${waiting}, in ${plural(r.transfers.length, 'transfer')}, the last ${last.transferId} at ${last.releasedAt}`
  })
}

/**
 * status with no key for a ledger that keeps its bodies encrypted (a field laptop): the transfers
 * released as their envelopes say (ID, time, items, whether a receipt was recorded), and where to
 * look for the rest.
 */
export function renderReleasedInClear(released: readonly ReleasedInClear[]): string[] {
  const rest = 'to whom, and which exhibits, is recorded encrypted: custody status --passphrase-file FILE (in a field case, --identity FILE) lists it'
  if (released.length === 0) return ['nothing released to another custodian']
  const waiting = released.filter((t) => t.receipt === null)
  const refused = released.filter((t) => t.receipt?.acknowledged === 0)
  return [
    waiting.length === 0
      ? `every transfer released has its receipt recorded (${plural(released.length, 'transfer')})`
      : `${waiting.length} of ${plural(released.length, 'transfer')} released ${waiting.length === 1 ? 'has' : 'have'} no receipt recorded yet:`,
    ...waiting.slice(0, 5).map((t) => `  ${t.transferId} at ${t.releasedAt}, ${plural(t.items, 'item')}`),
    ...(waiting.length > 5 ? [`  … (${waiting.length - 5} more)`] : []),
    ...refused.map((t) => `${t.transferId}: its receipt acknowledged nothing (the receiver refused the package); the next export sends its items again`),
    rest,
  ]
}

/** The items of an acceptance: each sender's ID with the ID this case gave it; those kept in the package only. */
function receivedLines(items: AcceptReport['items']): string[] {
  const numbered = items.filter((i) => i.receivedAs !== undefined)
  const shown = numbered.slice(0, 5).map((i) => `${i.receivedAs!} (was ${i.exhibit})`)
  const only = items.filter((i) => i.receivedAs === undefined).map((i) => i.exhibit)
  return [
    ...(numbered.length === 0 ? [] : [`  exhibits       ${shown.join(', ')}${numbered.length > 5 ? `, … (${numbered.length})` : ''}: this case's IDs, the sender's in brackets`]),
    ...(only.length === 0 ? [] : [`  in the package ${only.slice(0, 5).join(', ')}${only.length > 5 ? `, … (${only.length})` : ''}: kept in the package only (not exhibits of this case)`]),
  ]
}

/** When some items stay in the kept package only (testimony), how many were taken in and how many not. */
function inPackageOnly(items: AcceptReport['items']): string {
  const only = items.filter((i) => i.receivedAs === undefined).length
  return only === 0 ? '' : ` (${items.length - only} taken in as exhibits of this case, ${only} kept in the package only)`
}

/** A sender's key rotation followed: from the key this case knew to the package's signer. */
function rotationLines(report: AcceptReport): string[] {
  const {rotation} = report
  if (rotation === undefined) return []
  const events = rotation.events.map((e) => `#${e}`).join(', ')
  return [
    `  sender's key   rotated from ${rotation.from}`,
    `                 to ${rotation.to} (its ledger's event ${events}, each signed for by the key before):`,
    `                 followed; \`custody transfer trust\` its new line to name it by that key`,
  ]
}

export function renderAccepted(report: AcceptReport): string {
  if (!report.accepted) {
    return [
      `Already accepted: ${report.transferId} from ${receiver(report.from)} is recorded in ledger event #${report.seq}; nothing changed.`,
      `  receipt        ${safeText(report.receipt.file)} (and ${safeText(basename(report.receipt.signature))}), written again as it was given`,
    ].join('\n')
  }

  return [
    `Accepted ${plural(report.items.length, 'exhibit')} from ${receiver(report.from)}: all intact${inPackageOnly(report.items)}`,
    `  transfer       ${report.transferId} (ledger event #${report.seq}), released ${report.releasedAt}${report.purpose === null ? '' : `: ${safeText(report.purpose)}`}`,
    `  package        ${safeText(report.package.file)}, ${formatBytes(report.package.size)}, sha256 ${report.package.sha256}`,
    `  kept as        .custody/${report.kept}`,
    report.late === undefined
      ? `  sender's head  ${report.treeHead.size} events, root ${report.treeHead.root}: consistent with every head of it accepted before`
      : `  sender's head  ${report.treeHead.size} events, root ${report.treeHead.root}: an older package, delivered after a newer one; ${report.late.provenBy}, ${report.late.refused === true ? 'refused before for its items alone (its ledger verified)' : 'accepted before'}, proves its sender's ledger made this one at this head`,
    ...(report.kind === 'field-package' ? ['  a field package: every row of the sender\'s ledger checked from the first and opened, every object decrypted and held to its ingest event, stored here under this case\'s keys'] : []),
    ...rotationLines(report),
    ...receivedLines(report.items),
    `  receipt        ${safeText(report.receipt.file)} and ${safeText(basename(report.receipt.signature))}, sha256 ${report.receipt.sha256}`,
    `Next: give the sender both receipt files; they record it with custody transfer receipt ${safeText(basename(report.receipt.file))}`,
  ].join('\n')
}

export function renderAcknowledged(report: AcknowledgeReport): string {
  if (!report.recorded) return `Already recorded: this receipt for ${report.transferId} from ${receiver(report.by)} is ledger event #${report.seq}; nothing changed.`
  const refused = report.condition !== 'intact'
  return [
    refused
      ? `Recorded the receipt for ${report.transferId} from ${receiver(report.by)}: refused, ${plural(report.failed.length, 'item')} did not verify, so the receiver took in nothing`
      : `Recorded the receipt for ${report.transferId} from ${receiver(report.by)}: received intact`,
    `  received       ${report.receivedAt}, by the receiver's clock`,
    ...(report.package.asReleased ? [] : [`  package        sha256 ${report.package.sha256}: not the package released; it was changed after it left this case`]),
    `  acknowledged   ${plural(report.acknowledged.length, 'exhibit')}${report.acknowledged.length > 0 ? `: ${report.acknowledged.slice(0, 5).join(', ')}${report.acknowledged.length > 5 ? ', …' : ''}` : ''}`,
    ...report.failed.map((f) => `  failed         ${safeText(f.exhibit)}: ${safeText(f.problem)}`),
    `  cosigned       this ledger's tree head at ${report.cosigned.size} events, root ${report.cosigned.root}`,
    `  kept as        .custody/${report.kept} (ledger event #${report.seq})`,
    ...(refused ? ['Every exhibit of it stays in this case, not acknowledged (nothing can be purged on this receipt), and goes in the next custody transfer export to this receiver.'] : []),
  ].join('\n')
}

/** The list of trusted senders, one a line. */
function trustedLines(report: TrustReport): string[] {
  if (report.senders.length === 0) return ['No sender is trusted: `custody transfer accept` takes a package only from a sender given with --from.']
  return [
    `Packages are accepted from ${plural(report.senders.length, 'sender')} without --from:`,
    ...report.senders.map((s) => `  ${receiver(s)}, case ${s.case}, since ${s.since} (event #${s.seq})`),
  ]
}

/** What `custody transfer trust` did, then the list. */
export function renderTrust(report: TrustReport): string {
  const {sender} = report
  const who = sender === null ? '' : receiver(sender)
  const said: Record<TrustReport['change'], string | undefined> = {
    listed: undefined,
    trusted: `Trusted ${who} (ledger event #${report.seq}).`,
    replaced: `Trusted ${who} (ledger event #${report.seq}), in place of its key ${report.replaces}: packages signed with that key are no longer accepted without --from.`,
    'already-trusted': `${who} is already trusted (ledger event #${report.seq}). Nothing was recorded.`,
    revoked: `No longer trusted: ${who} (ledger event #${report.seq}).`,
    'not-trusted': `${who} (case ${sender?.case ?? ''}) is not on the list. Nothing was recorded.`,
  }
  const first = said[report.change]
  return [...(first === undefined ? [] : [first]), ...trustedLines(report)].join('\n')
}
