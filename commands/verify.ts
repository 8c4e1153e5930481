import {Args, Flags} from '@oclif/core'
import {locateCase} from '../src/case/case.js'
import {readTrustedRoots} from '../src/case/settings.js'
import {parsePemCertificates} from '../src/timestamps/token.js'
import {progressLine} from '../src/render/progress.js'
import {renderArchiveVerify, renderVerify} from '../src/render/reports.js'
import {verifyArchive, type ArchiveReport} from '../src/verify/verify-archive.js'
import {readAgainstFiles, verifyArchiveAgainst} from '../src/verify/against.js'
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
interrupted or still running).

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

Events cut off the ledger's end, or an older copy of .custody put back, need no key and leave a
case that is sound inside. Without ARCHIVE, the ledger is also compared with the newest checkpoint
custody signed for the case on this account, kept outside it in $XDG_STATE_HOME/custody (else
~/.local/state/custody): a ledger shorter than it, or whose first events no longer have its root,
fails, naming both tree heads. Every other command compares too (appends and verify recompute the
root; reading commands look up the checkpoint's last event); \`custody accept-restore\` is the way on
from a backup put back on purpose.

--against FILE (repeatable), without ARCHIVE: FILE is a sealed archive (verified first; it must
pass) or a checkpoint file ({"checkpoint": ..., "signature": ...}, as \`custody checkpoint export\`
writes it; or an archive's checkpoint.json with its .sig beside it) of this case, signed by a key the
ledger records. Its tree head must be a prefix of the ledger: an RFC 9162 consistency proof is
computed from the ledger and verified against both heads. This is how a case is checked where the
state folder is not: on another machine, or by someone who does not trust it.

--against ARCHIVE2, with ARCHIVE: both are verified and must be of one case, and the one with the
smaller tree must be a prefix of the other's: the later archive must list the earlier seal in its
data/custody/earlier-seals.jsonl with the same tree head and a consistency proof that holds.
Otherwise they cannot be linked (one was made from a copy cut back, put back or forked, or they
were sealed at the same moment), and events both hold under one number must be the same.

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
    {command: '<%= config.bin %> <%= command.id %> --against crimea-2024-may.zip --against checkpoint.json', description: 'Verify the case, and that it extends an archive and a checkpoint file given out earlier'},
    {command: '<%= config.bin %> <%= command.id %> crimea-2024-june.zip --against crimea-2024-may.zip', description: 'Two archives of one case: both verify, and one ledger that only grew made both'},
  ]

  static override flags = {
    case: caseFlag,
    'tsa-ca': Flags.string({description: 'a PEM file of TSA root certificates you trust, for ARCHIVE and the archives given with --against (repeatable)', multiple: true, helpValue: 'FILE'}),
    against: Flags.string({
      description:
        'a sealed archive or a checkpoint file given out earlier (repeatable): the case must extend it (a consistency proof). With ARCHIVE: another archive of the same case, and the one with the smaller tree must be a prefix of the other',
      multiple: true,
      helpValue: 'FILE',
    }),
  }

  async run(): Promise<VerifyReport | ArchiveReport> {
    const {args, flags} = await this.parse(Verify)
    const progress = progressLine(process.stderr, Boolean(process.stderr.isTTY) && !this.jsonEnabled())
    const onProgress = (done: number, total: number): void => progress.update(`verifying: ${done}/${total} files re-hashed`)
    const roots = flags['tsa-ca'] === undefined ? undefined : (await readTrustedRoots(flags['tsa-ca'])).flatMap((r) => parsePemCertificates(r.pem))
    const trusted = roots === undefined ? {} : {tsaRoots: roots}
    if (args.archive !== undefined) {
      const options = {onProgress, ...trusted}
      const report = flags.against === undefined ? await verifyArchive(args.archive, options) : await verifyArchiveAgainst(args.archive, flags.against, options)
      progress.done()
      this.log(renderArchiveVerify(report))
      if (!report.ok) process.exitCode = 3
      return report
    }

    const location = locateCase({caseDir: flags.case})
    const against = await readAgainstFiles(flags.against ?? [])
    const report = await verifyCaseAt(location, {onProgress: (p) => onProgress(p.objectsDone, p.objectsTotal), against, ...trusted})
    progress.done()
    this.log(renderVerify(report))
    if (!report.ok) process.exitCode = 3
    return report
  }
}
