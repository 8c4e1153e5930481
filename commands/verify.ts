import {Args, Flags} from '@oclif/core'
import {locateCase} from '../src/case/case.js'
import {readTrustedRoots} from '../src/case/settings.js'
import {parsePemCertificates} from '../src/timestamps/token.js'
import {progressLine} from '../src/render/progress.js'
import {renderArchiveVerify, renderVerify} from '../src/render/reports.js'
import {verifyArchive, type ArchiveReport} from '../src/verify/verify-archive.js'
import {readAgainstFiles, verifyArchiveAgainst} from '../src/verify/against.js'
import {verifyCaseAt, type VerifyReport} from '../src/verify/verify-case.js'
import {CustodyError} from '../src/errors.js'
import {readIdentityFiles} from '../src/age/key-files.js'
import {parseFingerprint} from '../src/keys/signing-key.js'
import {passphraseFromFileOrEnv} from '../src/keys/passphrase.js'
import {CustodyCommand, caseFlag, prose} from './_base.js'

export default class Verify extends CustodyCommand {
  static override args = {
    archive: Args.string({description: 'a sealed archive (ZIP, or FILE.zip.age encrypted for transport), or its bag folder unzipped, to check; without it, the local case is checked'}),
  }

  static override description = prose`Check that the case, or a sealed archive (or its bag folder), is intact.

Without ARCHIVE: re-hashes every exhibit's original (SHA-256 and SHA-512) and metadata record in
the vault, recomputes the ledger's hash chain and its RFC 6962 Merkle tree head, and compares that
with the last recorded tree head and with every signed checkpoint (its Ed25519 signature, and its
root over the events it covers): a vault file modified, truncated or missing, or a ledger event
edited, deleted, inserted or reordered, even past the ledger's triggers and with every hash
recomputed, is named. Every RFC 3161 token is checked against the checkpoint it stamps, and the
signing key's file in .custody/keys/ against the key the ledger records (its public half; the
private half needs the passphrase, which verify does not ask for), and each transfer package and
receipt the case keeps (\`transfer accept\`, \`transfer receipt\`) against the SHA-256 its event
records. Warnings, which do
not fail the check: vault files no event names, temp files, and batches not ended (an ingest
interrupted or still running); what killed seals left, and a seal recorded whose archive is not at
its --out (\`custody seal --finish SEAL-ID\` puts it there); folders and files of .custody that
other accounts on this computer may read, write or enter (\`chmod -R go-rwx DIR/.custody\`).

With ARCHIVE: checks a sealed archive on any machine, with no case and no network, straight from
the ZIP (nothing is unpacked). The ZIP must be one no other reader can read differently (one end
record, no bytes outside its entries, local headers that agree with the central directory, every
CRC-32 right), hold one bag folder (no duplicate names, symlinks, '..' or zip bombs), and be
BagIt 1.0 with every file against both manifests, the tag manifests and Payload-Oxum. Then the
seal statement, which must account for every file of the bag (a file it does not name, a README.txt
or bag-info.txt that says other than it is refused), every event's hash and inclusion proof
against the sealed tree head, the key events (each key's fingerprint is its own, no weak keys), the
investigator's signatures on the checkpoint and the seal statement, and each timestamp token: over
the stamped checkpoint's exact bytes, signed, and chained at its genTime to a TSA root. A transfer
package's statement (transfer.json) is checked against the seal; in HQ's seal of received exhibits,
each sender's record under data/custodians/ (its events proven to its signed checkpoint, its signed
transfer statement, HQ's signed receipt) is checked on both sides, every received exhibit must have
one, and each custodian and the time of each hand-over are listed.

ARCHIVE may be a field package (\`transfer export\` in a field case with no --identity: objects
and ledger rows as the field case stores them), which gets its own checks after the same ZIP and
BagIt ones: manifests (SHA-256, Payload-Oxum), transfer (transfer.json and the checkpoint signed by
the sender's key, every file accounted for), ledger (every row linked from the first, each body as
stored against its envelope, the key events, the Merkle root the checkpoint's) and objects. With
--identity of a recipient (HQ's), every body is opened and held to its envelope and every object
decrypted and held to its ingest event's SHA-256, SHA-512 and size; without, the report says what
was not opened.

Whom to trust is yours to say. --key FINGERPRINT names the signing key you expect (as \`custody key
show\` prints it, obtained from the investigator): any other signer fails. Without it, the report
says the archive is signed by the key it names itself, which a forger can choose. --tsa-ca gives
the TSA roots you trust; without it the tokens are checked against the roots the archive carries,
and the timestamps line is a warning, not ok.

ARCHIVE may be encrypted, as \`custody seal --encrypt-to\` writes it (FILE.zip.age, an age v1
file): --identity FILE (an age identity file, as age-keygen writes it; repeatable) opens it, and
the ZIP inside gets the same checks, report and exit codes, read straight from the encrypted file
and decrypted in memory, chunk by chunk: no plaintext ZIP is written to disk. An identity that does
not open it is WRONG_KEY (exit 2); an age file whose header or end is damaged or cut is INTEGRITY
(exit 3) before any check; a chunk changed inside fails the check that reads it (exit 3), naming
the file and the chunk.

A case's vault is encrypted (custody init; not with --plaintext): without a key its objects are
checked as stored (each age file's SHA-256 and size, which the ledger records), and the vault line
says that their content was not; with --identity FILE of a recipient of the case, or
--passphrase-file FILE in a case with a case identity (not a field case), each is also decrypted
and checked against its SHA-256 and SHA-512, and the ledger's keyed index (the tags it looks events
up by) is checked against every event. Where the ledger's event bodies are encrypted, the same keys
open them: without one, the chain, the tree, the signatures, the timestamps and every object as
stored are checked from the events' envelopes, and each check that reads what the bodies record
says it did not check (a warning).

ARCHIVE may also be a folder: the bag folder unzipped from a sealed archive, or the folder unzip
made holding it (a __MACOSX folder beside it is left aside). It gets the same checks and report,
the folder check in place of the zip check: only files and folders (a symbolic link, wherever it
points, a FIFO or a device is refused and never opened), nothing on another file system, UTF-8
names, no two the same after Unicode normalisation.

A bag unzipped and zipped again by another tool still verifies: names are read as unzip and 7-Zip
read them (UTF-8 also without the UTF-8 flag, as Info-ZIP's zip writes them on Linux and macOS),
names stored in NFD (as macOS writes them) are matched to the manifests' NFC, and the AppleDouble
files macOS adds under __MACOSX/ are left aside, each said in a warning; a name that readers could
decode differently is refused. What verify remembers of each file
goes to a temporary SQLite file in $TMPDIR (else /var/tmp or /tmp), unlinked as soon as it is
made; memory stays the same however many exhibits the archive holds, and a hostile archive cannot
make it hold more: small files are read only up to the size a genuine one can have, lines of the
large ones up to a bound, and only the first 1,000 problems are listed.

Events cut off the ledger's end, or an older copy of .custody put back, need no key and leave a
case that is sound inside. Without ARCHIVE, the ledger is also compared with the newest checkpoint
custody signed for the case on this account, kept outside it in $XDG_STATE_HOME/custody (else
~/.local/state/custody): a ledger shorter than it, or whose first events no longer have its root,
fails, naming both tree heads. Every other command compares too (appends and verify recompute the
root; reading commands look up the checkpoint's last event); \`custody accept-restore\` is the way on
from a backup put back on purpose.

--against FILE (repeatable), without ARCHIVE: FILE is a sealed archive or its bag folder (verified first; it must
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
what was expected and what was found; exit 1 when the check could not finish (the temp folder is
full: point TMPDIR elsewhere), which says nothing either way.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Verify the case around the working directory'},
    {command: '<%= config.bin %> <%= command.id %> --case ~/cases/crimea --json', description: 'Verify a named case, as JSON'},
    {command: '<%= config.bin %> <%= command.id %> crimea-2024-seal.zip', description: 'Verify a sealed archive received from the field'},
    {command: '<%= config.bin %> <%= command.id %> --identity hq-key.txt', description: "Verify the case, each encrypted object decrypted with HQ's identity and checked by content"},
    {command: '<%= config.bin %> <%= command.id %> --passphrase-file ~/.custody-pass', description: 'Verify the case with its passphrase: every object checked by content, every encrypted event body opened (not in a field case)'},
    {command: '<%= config.bin %> <%= command.id %> crimea-2024-seal.zip.age --identity hq-key.txt', description: 'Verify an archive encrypted for transport (seal --encrypt-to), with an identity it was encrypted to; nothing is decrypted to disk'},
    {command: '<%= config.bin %> <%= command.id %> crimea-2024-seal/custody-SEAL-0123456789abcdef', description: 'Verify the bag folder unzipped from it (or the folder unzip made: crimea-2024-seal)'},
    {
      command: '<%= config.bin %> <%= command.id %> crimea-2024-seal.zip --key SHA256:86e35e56ce89c0d90071b081a12ac8dfb8f776b74866a4b92c7f135bc525e75b --tsa-ca freetsa-root.pem',
      description: "Verify it as a court would: the investigator's key and the TSA's root, both obtained by you, not from the archive",
    },
    {command: '<%= config.bin %> <%= command.id %> --against crimea-2024-may.zip --against checkpoint.json', description: 'Verify the case, and that it extends an archive and a checkpoint file given out earlier'},
    {command: '<%= config.bin %> <%= command.id %> crimea-2024-june.zip --against crimea-2024-may.zip', description: 'Two archives of one case: both verify, and one ledger that only grew made both'},
  ]

  static override flags = {
    case: caseFlag,
    key: Flags.string({
      description: "the fingerprint of a signing key you expect, as `custody key show` prints it (SHA256:<64 hex>), for ARCHIVE and the archives given with --against; repeatable. Any other signer fails (exit 3)",
      multiple: true,
      helpValue: 'FINGERPRINT',
    }),
    'tsa-ca': Flags.string({
      description: 'a PEM file of TSA root certificates you trust, for ARCHIVE and the archives given with --against (repeatable); without it, their timestamps are only a warning',
      multiple: true,
      helpValue: 'FILE',
    }),
    identity: Flags.string({
      description: 'an age identity file (age-keygen\'s output: one or more AGE-SECRET-KEY-1… lines) that opens an encrypted ARCHIVE (FILE.zip.age) and the encrypted archives given with --against beside it, or, for a case, its encrypted vault, whose objects are then checked by content; repeatable',
      multiple: true,
      helpValue: 'FILE',
    }),
    'passphrase-file': Flags.string({
      description:
        "for a case: read the case passphrase from this file (its first line), which opens what an identity would in a case with a case identity: each object is then checked by content and every event's encrypted body is opened and checked; a field case's opens neither (give --identity). Verify never asks for the passphrase, nor reads it from $CUSTODY_PASSPHRASE",
      helpValue: 'FILE',
      exclusive: ['identity'],
    }),
    against: Flags.string({
      description:
        'a sealed archive (or its bag folder) or a checkpoint file given out earlier (repeatable): the case must extend it (a consistency proof). With ARCHIVE: another archive (or bag folder) of the same case, and the one with the smaller tree must be a prefix of the other',
      multiple: true,
      helpValue: 'FILE',
    }),
  }

  async run(): Promise<VerifyReport | ArchiveReport> {
    const {args, flags} = await this.parse(Verify)
    const progress = progressLine(process.stderr, Boolean(process.stderr.isTTY) && !this.jsonEnabled())
    const onProgress = (done: number, total: number): void => progress.update(`verifying: ${done}/${total} files re-hashed`)
    if (args.archive === undefined && flags.against === undefined && (flags.key !== undefined || flags['tsa-ca'] !== undefined)) {
      throw new CustodyError('INVALID_ARGUMENT', '--key and --tsa-ca are for checking sealed archives: give one, as in `custody verify ARCHIVE.zip --key SHA256:…`, or with --against')
    }

    const identities = await readIdentityFiles(flags.identity)
    const pinnedKeys = flags.key === undefined ? undefined : flags.key.map((k) => parseFingerprint(k))
    const roots = flags['tsa-ca'] === undefined ? undefined : (await readTrustedRoots(flags['tsa-ca'])).flatMap((r) => parsePemCertificates(r.pem))
    const trusted = {...(roots === undefined ? {} : {tsaRoots: roots}), ...(pinnedKeys === undefined ? {} : {pinnedKeys})}
    if (args.archive !== undefined && flags['passphrase-file'] !== undefined) {
      throw new CustodyError('INVALID_ARGUMENT', '--passphrase-file is for verifying a case: an archive needs no passphrase (an encrypted one opens with --identity)')
    }

    if (args.archive !== undefined) {
      const options = {onProgress, ...trusted, ...(identities === undefined ? {} : {identities})}
      const report = flags.against === undefined ? await verifyArchive(args.archive, options) : await verifyArchiveAgainst(args.archive, flags.against, options)
      progress.done()
      this.log(renderArchiveVerify(report))
      if (!report.ok) process.exitCode = 3
      return report
    }

    const location = locateCase({caseDir: flags.case})
    const against = await readAgainstFiles(flags.against ?? [])
    const passphrase = flags['passphrase-file'] === undefined ? undefined : await passphraseFromFileOrEnv(flags['passphrase-file'], {})
    const report = await verifyCaseAt(location, {
      onProgress: (p) => onProgress(p.objectsDone, p.objectsTotal),
      against,
      ...trusted,
      ...(identities === undefined ? {} : {identities}),
      ...(passphrase === undefined ? {} : {passphrase}),
    })
    progress.done()
    this.log(renderVerify(report))
    if (!report.ok) process.exitCode = 3
    return report
  }
}
