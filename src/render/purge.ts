/** What `custody transfer purge` says, as text: what went (or would go), and what stayed. */
import {describeParty} from '../transfers/custodian.js'
import type {PurgeItem, PurgeReport} from '../transfers/purge.js'
import {plural, safeText} from './text.js'

function receiver(by: PurgeReport['by']): string {
  return safeText(describeParty(by))
}

function itemLine(item: PurgeItem): string {
  const what = item.objects.length === 0 ? 'no object of its own' : item.objects.map((o) => o.role.replace('-', ' ')).join(' and ')
  const event = item.seq === undefined ? '' : ` (ledger event #${item.seq})`
  return `  ${item.exhibit}  ${what}; acknowledged in ${item.transferId}, receipt sha256:${item.receipt.sha256.slice(0, 16)}…${event}`
}

/** The plan, before it is confirmed (and what a dry run says). */
export function renderPurgePlan(report: PurgeReport): string {
  if (report.nothingAcknowledged) return `Nothing acknowledged by ${receiver(report.by)}: no receipt of it recorded (\`custody transfer receipt\`) acknowledges an exhibit (a receipt refusing a package acknowledges none). Nothing was removed or recorded.`
  if (report.purged.length + report.finished.length === 0) {
    return `Nothing to purge: every exhibit ${receiver(report.by)} acknowledged was purged before (${report.alreadyPurged}). Nothing was removed or recorded.`
  }

  const lines = [`${report.dryRun ? 'Would purge' : 'Purging'} from this case's vault ${plural(report.purged.length, 'exhibit')} acknowledged by ${receiver(report.by)}:`, ...report.purged.map(itemLine)]
  for (const item of report.purged) for (const kept of item.kept) lines.push(`  ${item.exhibit}  its ${kept.role.replace('-', ' ')} stays: ${kept.neededBy} still needs it`)
  if (report.finished.length > 0) lines.push(`and the removal an interrupted purge recorded and did not finish, of ${plural(report.finished.length, 'exhibit')}:`, ...report.finished.map(itemLine))
  return lines.join('\n')
}

export function renderPurged(report: PurgeReport): string {
  if (report.dryRun || report.purged.length + report.finished.length === 0) return renderPurgePlan(report)
  return [
    renderPurgePlan({...report, dryRun: false}).replace(/^Purging/, 'Purged'),
    `${plural(report.removed, 'file')} removed. The ledger keeps each exhibit's digests and events; \`custody verify\` reports them as purged, and \`custody show\` says who acknowledged them.`,
  ].join('\n')
}
