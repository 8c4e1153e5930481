import {Args, Flags} from '@oclif/core'
import {caseProgress} from '../src/case/next-steps.js'
import {checkIngest, ingest, type IngestOptions, type IngestProgress} from '../src/ingest/ingest.js'
import {describeProgress, progressLine} from '../src/render/progress.js'
import {nextAfterIngest} from '../src/render/next-steps.js'
import {renderIngest} from '../src/render/reports.js'
import {CustodyCommand, caseFlag, flagFor, passphraseFileFlag, prose} from './_base.js'

export default class Ingest extends CustodyCommand {
  static override args = {
    path: Args.string({description: 'files to ingest (folders with --recursive); or none, with --manifest'}),
  }

  static override description = prose`Take files into the case as exhibits.

Each file is hashed (SHA-256 and SHA-512) in one streaming pass while it is copied into the vault;
the copy is fsynced, checked, and kept read-only under its SHA-256. The original is never modified
or moved. ExifTool reads its metadata; the complete record is kept, and capture time (with its
time-zone offset when the file has one), GPS position, device make, model and serial number,
software, image size and MIME type are normalised. The file gets the next exhibit ID and an
ingest event in the ledger.

A file already in the case (same SHA-256) gets no second exhibit: the output names the exhibit it
is, and the ledger records that it was presented again; in a batch, a file the case took in from
the same path with the same content is only hashed again, and recorded no more. A file that cannot be ingested (empty,
unreadable, changing while read, disk full) is reported with what to do; the others still go in,
and the exit code is 1. A symlink to a file is followed and both paths are recorded; inside a
folder walk a symlink to a folder is not followed.

Inside a folder, the files and folders an operating system keeps for itself are not evidence and
are left out: macOS's .DS_Store, ._* (AppleDouble), .Spotlight-V100, .fseventsd, .TemporaryItems,
.DocumentRevisions-V100, .Trashes, .apdisk; Windows' Thumbs.db, ehthumbs.db, desktop.ini, System
Volume Information, $RECYCLE.BIN; Linux's .Trash-1000; Android's .nomedia (names in any case).
The report says how many (--json lists them), and names a trash that holds files, which may be
evidence. --include-system-files takes them all; a path named on its own is always taken.

Ctrl-C stops after the files in progress; the case stays consistent, and running the same
command again ingests the rest.

A manifest (--manifest FILE, CSV with a header row or JSON Lines) describes a batch, one row per
file. Columns: path (relative to the manifest's folder), collected_at (ISO 8601), collected_by,
location, latitude and longitude (decimal degrees), source, note; any other column is kept as a
tag. The values are recorded beside, never instead of, what the file's own metadata says. Every
row is checked first: a manifest with any bad row (a missing file, a date that does not parse, a
latitude out of range, a path given twice) ingests nothing, and each problem is reported with its
line (exit 2; --json lists the first 1,000 as error.problems and counts all of them in
error.problemCount). A row longer than 64 KiB, or a quote left open, refuses the manifest at its
line without reading on. --dry-run checks and reports what would happen, and writes nothing.

A manifest or a folder (--recursive) is a batch, recorded in the ledger: its start (with the
manifest's SHA-256), every file's event, and its end with the counts. Running the same command
again after a crash, a power cut or Ctrl-C continues the batch: what an earlier run took in
(same path, size and modification time) is reported as already present without being read
again, and only the rest goes in. A manifest that grows every night costs only its new rows: a
row whose file the case took in from the same path is hashed, and when unchanged reported
present and recorded no more; a changed one becomes a new exhibit, noted as changed.

The files of a run and their results are kept in a temporary SQLite file in $TMPDIR (else
/var/tmp or /tmp), unlinked as soon as it is made, so memory stays the same however many files a
folder or a manifest holds; the report is printed from it when the run ends.

The ledger events are signed (a checkpoint with every batch), so ingest needs the case passphrase:
--passphrase-file, else $CUSTODY_PASSPHRASE, else a prompt. Without any of them and no terminal it
stops before reading any file. Its arguments are checked first (no paths and no --manifest, a
--collected-at that does not parse, a manifest it cannot read), and a run that can take nothing in
(each path missing, or a folder without --recursive) reports each path failed without asking for
the passphrase.

The text report ends with what to do next (Next:): the first new exhibit to look at, custody
timestamp when a TSA is set and events wait for a token, and how to seal. --json gives none.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> IMG_0412.JPG IMG_0413.JPG', description: 'Ingest two photos'},
    {
      command:
        '<%= config.bin %> <%= command.id %> /media/card/DCIM --recursive --collected-at 2024-03-01T14:05:00+02:00 --collected-by "A. Petrenko" --location "Simferopol" --source "SD card from witness W-014"',
      description: 'Ingest a camera card with where and when it was collected',
    },
    {command: '<%= config.bin %> <%= command.id %> --case ~/cases/crimea --json recording.m4a', description: 'Ingest into a named case, with JSON output for scripts'},
    {command: '<%= config.bin %> <%= command.id %> /media/card --recursive --include-system-files', description: "Ingest a whole card, the system's own files (.DS_Store, Thumbs.db, the trash) too"},
    {command: '<%= config.bin %> <%= command.id %> --manifest phone-dump/manifest.csv --dry-run', description: 'Check a batch manifest and see what it would do'},
    {command: '<%= config.bin %> <%= command.id %> --manifest phone-dump/manifest.csv --json > batch-result.json', description: 'Ingest the batch (run it again to resume after an interruption)'},
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    recursive: Flags.boolean({char: 'r', description: 'ingest every file inside the folders given', default: false}),
    'include-system-files': Flags.boolean({
      description: 'also take, inside folders, the files and folders an operating system keeps for itself (.DS_Store, ._*, .Spotlight-V100, .Trashes, Thumbs.db, $RECYCLE.BIN, ...), left out by default',
      default: false,
    }),
    'collected-at': Flags.string({description: 'when the evidence was collected, ISO 8601 (2024-03-01T14:05:00+02:00)', helpValue: 'ISO-8601'}),
    'collected-by': Flags.string({description: 'who collected the evidence', helpValue: 'NAME'}),
    location: Flags.string({description: 'where the evidence was collected', helpValue: 'TEXT'}),
    source: Flags.string({description: 'where the files came from (a device, a person, a platform)', helpValue: 'TEXT'}),
    note: Flags.string({description: 'a note recorded with each file', helpValue: 'TEXT'}),
    actor: Flags.string({description: "who is ingesting (default: the case's investigator)", helpValue: 'NAME'}),
    manifest: Flags.string({char: 'm', description: 'a CSV or JSON Lines file naming the files of a batch, one row each', helpValue: 'FILE'}),
    'dry-run': Flags.boolean({description: 'check everything and print what would happen; write nothing', default: false}),
  }

  static override strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Ingest)
    const dryRun = flags['dry-run']
    const given: IngestOptions = {
      paths: argv as string[],
      recursive: flags.recursive,
      includeSystemFiles: flags['include-system-files'],
      actor: flags.actor,
      collectedAt: flags['collected-at'],
      collectedBy: flags['collected-by'],
      location: flags.location,
      source: flags.source,
      note: flags.note,
      manifest: flags.manifest,
      dryRun,
      nameField: (field) => flagFor(Ingest, field),
    }
    // Usage, then the case, then the passphrase; a run that can take nothing in needs none.
    const checked = await checkIngest(given)
    const writes = !dryRun && !checked.takesNothing
    using kase = writes ? await this.openCaseForWriting(flags.case, flags['passphrase-file'], 'ingest', {background: true, writeOnly: true}) : this.openCase(flags.case)
    // A dry run needs no passphrase, except where the ledger keeps its events sealed: there only
    // the address key, which the passphrase opens, finds what the case holds already (keyed tags).
    if (dryRun && !checked.takesNothing) await this.openAddressKeyToRead(kase, undefined, flags['passphrase-file'], 'ingest --dry-run (finding what this case holds already)')
    const interrupt = this.interruptible('Stopping after the files in progress (Ctrl-C again to stop now)...')
    const showProgress = Boolean(process.stderr.isTTY) && !this.jsonEnabled()
    const progress = progressLine(process.stderr, showProgress)
    const startedAt = Date.now()
    try {
      const report = await ingest(kase, {
        ...given,
        checked,
        signal: interrupt.signal,
        // Told every chunk read: described only where it is shown.
        ...(showProgress ? {onProgress: (p: IngestProgress) => progress.update(describeProgress(p, startedAt))} : {}),
      })
      try {
        progress.done()
        // Written here, not returned to oclif: a batch's results are read as they are written.
        await this.writeLines(this.jsonEnabled() ? this.jsonLines(report, ['results'], report.results) : renderIngest(report))
        if (!this.jsonEnabled()) await this.writeLines(nextAfterIngest(report, caseProgress(kase)))
      } finally {
        report.close()
      }

      if (report.counts.failed > 0 || report.interrupted) process.exitCode = 1
    } finally {
      interrupt.release()
    }
  }
}
