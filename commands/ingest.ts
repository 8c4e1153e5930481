import {Args, Flags} from '@oclif/core'
import {ingest, type IngestReport} from '../src/ingest/ingest.js'
import {describeRate, progressLine} from '../src/render/progress.js'
import {renderIngest} from '../src/render/reports.js'
import {CustodyCommand, caseFlag, passphraseFileFlag, prose} from './_base.js'

export default class Ingest extends CustodyCommand {
  static override args = {
    path: Args.string({description: 'files to ingest (folders with --recursive)', required: true}),
  }

  static override description = prose`Take files into the case as exhibits.

Each file is hashed (SHA-256 and SHA-512) in one streaming pass while it is copied into the vault;
the copy is fsynced, checked, and kept read-only under its SHA-256. The original is never modified
or moved. ExifTool reads its metadata; the complete record is kept, and capture time (with its
time-zone offset when the file has one), GPS position, device make, model and serial number,
software, image size and MIME type are normalised. The file gets the next exhibit ID and an
ingest event in the ledger.

A file already in the case (same SHA-256) gets no second exhibit: the output names the exhibit it
is, and the ledger records that it was presented again. A file that cannot be ingested (empty,
unreadable, changing while read, disk full) is reported with what to do; the others still go in,
and the exit code is 1. A symlink to a file is followed and both paths are recorded; inside a
folder walk a symlink to a folder is not followed.

Ctrl-C stops after the files in progress; the case stays consistent, and running the same
command again ingests the rest.

The ledger events are signed (a checkpoint with every batch), so ingest needs the case passphrase:
--passphrase-file, else $CUSTODY_PASSPHRASE, else a prompt. Without any of them and no terminal it
stops before reading any file.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> IMG_0412.JPG IMG_0413.JPG', description: 'Ingest two photos'},
    {
      command:
        '<%= config.bin %> <%= command.id %> /media/card/DCIM --recursive --collected-at 2024-03-01T14:05:00+02:00 --collected-by "A. Petrenko" --location "Simferopol" --source "SD card from witness W-014"',
      description: 'Ingest a camera card with where and when it was collected',
    },
    {command: '<%= config.bin %> <%= command.id %> --case ~/cases/crimea --json recording.m4a', description: 'Ingest into a named case, with JSON output for scripts'},
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    recursive: Flags.boolean({char: 'r', description: 'ingest every file inside the folders given', default: false}),
    'collected-at': Flags.string({description: 'when the evidence was collected, ISO 8601 (2024-03-01T14:05:00+02:00)', helpValue: 'ISO-8601'}),
    'collected-by': Flags.string({description: 'who collected the evidence', helpValue: 'NAME'}),
    location: Flags.string({description: 'where the evidence was collected', helpValue: 'TEXT'}),
    source: Flags.string({description: 'where the files came from (a device, a person, a platform)', helpValue: 'TEXT'}),
    note: Flags.string({description: 'a note recorded with each file', helpValue: 'TEXT'}),
    actor: Flags.string({description: "who is ingesting (default: the case's investigator)", helpValue: 'NAME'}),
  }

  static override strict = false

  async run(): Promise<IngestReport> {
    const {argv, flags} = await this.parse(Ingest)
    const kase = await this.openCaseForWriting(flags.case, flags['passphrase-file'], 'ingest', {background: true})
    const interrupt = this.interruptible('Stopping after the files in progress (Ctrl-C again to stop now)...')
    const progress = progressLine(process.stderr, Boolean(process.stderr.isTTY) && !this.jsonEnabled())
    const startedAt = Date.now()
    try {
      const report = await ingest(kase, {
        paths: argv as string[],
        recursive: flags.recursive,
        actor: flags.actor,
        collectedAt: flags['collected-at'],
        collectedBy: flags['collected-by'],
        location: flags.location,
        source: flags.source,
        note: flags.note,
        signal: interrupt.signal,
        onProgress: (p) => progress.update(describeRate(p.filesDone, p.filesTotal, p.bytesDone, p.bytesTotal, startedAt)),
      })
      progress.done()
      this.log(renderIngest(report))
      if (report.counts.failed > 0 || report.interrupted) process.exitCode = 1
      return report
    } finally {
      interrupt.release()
      kase.close()
    }
  }
}
