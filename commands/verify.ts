import {Args, Flags} from '@oclif/core'
import {locateCase} from '../src/case/case.js'
import {readTrustedRoots} from '../src/case/settings.js'
import {parsePemCertificates} from '../src/timestamps/token.js'
import {progressLine} from '../src/render/progress.js'
import {renderArchiveVerify, renderVerify} from '../src/render/reports.js'
import {verifyArchive, type ArchiveReport} from '../src/verify/verify-archive.js'
import {verifyCaseAt, type VerifyReport} from '../src/verify/verify-case.js'
import {CustodyCommand, caseFlag, prose} from './_base.js'

export default class Verify extends CustodyCommand {
  static override args = {
    archive: Args.string({description: 'a sealed archive (ZIP) to check; without it, the local case is checked'}),
  }

  static override description = prose`Check that the case, or a sealed archive, is intact.

Without ARCHIVE: re-hashes every exhibit's original (SHA-256 and SHA-512) and metadata record in
the vault, recomputes the ledger's hash chain and its RFC 6962 Merkle tree head, and compares that
with the last recorded tree head and with every signed checkpoint (its Ed25519 signature, and its
root over the events it covers): a vault file modified, truncated or missing, or a ledger event
edited, deleted, inserted or reordered, even past the ledger's triggers and with every hash
recomputed, is named. Every RFC 3161 token is checked against the checkpoint it stamps. Warnings, which do
not fail the check: vault files no event names, temp files, and batches not ended (an ingest
interrupted or still running); what killed seals left, and a seal recorded whose archive is not at
its --out (\`custody seal --finish SEAL-ID\` puts it there); folders and files of .custody that
other accounts on this computer may read, write or enter (\`chmod -R go-rwx DIR/.custody\`).

With ARCHIVE: checks a sealed archive on any machine, with no case and no network, straight from
the ZIP (nothing is unpacked): a safe ZIP (one bag folder; no duplicate names, symlinks, '..' or
entries that lie about their size), BagIt 1.0, every file against both manifests, the tag
manifests, Payload-Oxum, the seal statement against the payload, every event's hash, and every
inclusion proof against the sealed tree head; then the investigator's signatures on the
checkpoint and the seal statement (with the key the sealed events record), and each timestamp
token: over the stamped checkpoint's exact bytes, signed, and chained at its genTime to a TSA
root. Give the root you trust with --tsa-ca; without it the roots the archive carries are used,
and the report says so. A bag unzipped and zipped again by another tool still verifies. What it
remembers of each file while checking goes to a temporary SQLite file in $TMPDIR (else /var/tmp or
/tmp), unlinked as soon as it is made, so memory stays the same however many exhibits the archive
holds.

Exit 0 when everything holds; exit 3 when anything does not, naming the exhibit, event or file with
what was expected and what was found.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Verify the case around the working directory'},
    {command: '<%= config.bin %> <%= command.id %> --case ~/cases/crimea --json', description: 'Verify a named case, as JSON'},
    {command: '<%= config.bin %> <%= command.id %> crimea-2024-seal.zip', description: 'Verify a sealed archive received from the field'},
    {
      command: '<%= config.bin %> <%= command.id %> crimea-2024-seal.zip --tsa-ca freetsa-root.pem',
      description: "Verify it, checking the timestamps against a TSA root you obtained yourself",
    },
  ]

  static override flags = {
    case: caseFlag,
    'tsa-ca': Flags.string({description: 'with ARCHIVE: a PEM file of TSA root certificates you trust (repeatable)', multiple: true, helpValue: 'FILE'}),
  }

  async run(): Promise<VerifyReport | ArchiveReport> {
    const {args, flags} = await this.parse(Verify)
    const progress = progressLine(process.stderr, Boolean(process.stderr.isTTY) && !this.jsonEnabled())
    const onProgress = (done: number, total: number): void => progress.update(`verifying: ${done}/${total} files re-hashed`)
    if (args.archive !== undefined) {
      const roots = flags['tsa-ca'] === undefined ? undefined : (await readTrustedRoots(flags['tsa-ca'])).flatMap((r) => parsePemCertificates(r.pem))
      const report = await verifyArchive(args.archive, {onProgress, ...(roots === undefined ? {} : {tsaRoots: roots})})
      progress.done()
      this.log(renderArchiveVerify(report))
      if (!report.ok) process.exitCode = 3
      return report
    }

    const report = await verifyCaseAt(locateCase({caseDir: flags.case}), {onProgress: (p) => onProgress(p.objectsDone, p.objectsTotal)})
    progress.done()
    this.log(renderVerify(report))
    if (!report.ok) process.exitCode = 3
    return report
  }
}
