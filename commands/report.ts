import {Args, Flags} from '@oclif/core'
import {CustodyError} from '../src/errors.js'
import {progressLine} from '../src/render/progress.js'
import {refuseInsideCase, reportCase, selectExhibits, type CaseReportResult} from '../src/report/case-report.js'
import {checkDocument, type DocumentOptions} from '../src/report/document.js'
import {describeReportLanguages, reportLanguages} from '../src/report/messages/catalog.js'
import {FORMAT_CHOICES, reportArchive, type ReportFormat, type ReportResult} from '../src/report/report.js'
import {THUMBNAIL_CHOICES, type Thumbnails} from '../src/report/thumbnails.js'
import {ARCHIVE_IDENTITY_DESCRIPTION, archiveTrust} from './_archive-trust.js'
import {CustodyCommand, identityFlag, passphraseFileFlag, prose} from './_base.js'

const REPORT_LANGUAGES = reportLanguages()

export default class Report extends CustodyCommand {
  static override args = {
    archive: Args.string({description: 'a sealed archive (ZIP), or its bag folder unzipped, to report on; with --case, the exhibits to report on (EX-000007, or just 7; all when none are given)'}),
  }

  static override description = prose`Write a report of a sealed archive, or of a local case, for a court, to read, print and file: one HTML file, or a PDF/A-3 file.

The archive is verified first, with every check \`custody verify ARCHIVE\` runs, and the report
states what they found: it never claims a check that was not run, and a check that failed is
named on its cover. Then, in this order: the cover (case, seal ID, purpose, who sealed it and
when, the archive's SHA-256, the verdict in one sentence, the custody version that made the
report); the verification (every check and its result, the signer and key fingerprint, the
trusted times and the events they cover, what was not checked and why); a table of the exhibits
(ID, original name, type, size, SHA-256, capture time with its zone, GPS, device, who collected
it, when and where, source); each exhibit's chain of custody, normalised metadata and image;
testimony by witness code only (never an identity); how to check the archive with standard tools;
and a glossary.

The format comes from --out's extension (.html or .pdf), or from --format. The HTML report is one
self-contained file: images are inlined, nothing is loaded from the network, no script is needed,
it prints on A4 and Letter and reads without colour. The PDF report is PDF/A-3 (for archiving),
A4, with its fonts embedded (DejaVu, covering Latin, Cyrillic and Armenian), and carries the
verification result as an attached file (verification.json, as \`custody verify --json\` gives
it) and, when the archive verified, its CASE/UCO export (case-uco.jsonld, as \`custody export
case-uco\` writes it); extract them with \`pdfdetach -saveall\`.

Images: by default (--thumbnails hidden) the HTML hides each behind a content warning the reader
opens; a PDF cannot hide anything, so there each image is only named where the exhibit is
described and drawn in an appendix at the end, after a page of content warning. --thumbnails
shown puts them in place in both; none leaves them out. There is no image library, so the
original is used when it is a JPEG or PNG of at most 2 MiB, and the report says when one is
larger. The same archive and options give the same bytes (a PDF's dates and document ID are the
seal's).

--lang sets the language of the report's fixed wording (headings, verdict, labels, glossary):
English (en, the default), Ukrainian (uk) or Russian (ru), or any other language a message file
was added for (src/report/messages/). What comes from the archive (names, places, notes, the
verifier's findings and check names) is shown as recorded, never translated; times stay ISO 8601
as recorded. The same archive as CASE/UCO JSON-LD is \`custody export case-uco\`.

--key and --tsa-ca are those of \`custody verify\`: the signer and TSA roots you trust. An archive
encrypted for transport (FILE.zip.age, \`custody seal --encrypt-to\`) is opened with --identity
FILE, a recipient's age identity, and decrypted in memory only, as \`custody verify\` does; the
cover gives the SHA-256 of the ZIP inside it, the one the ledger recorded.

With --case DIR (and no archive), the report is of the local case, not sealed: of every exhibit,
or of the exhibits named (EX-000007, or 7; one not in the case is refused, naming it, exit 2).
The case is verified first with every check \`custody verify --case DIR\` runs, its vault's
objects by content: an encrypted case's are decrypted in memory with the case passphrase
(--passphrase-file, else $CUSTODY_PASSPHRASE, else a prompt) or --identity FILE, a recipient's,
which a field case needs (no key on its laptop reads content). The cover says "local case, not
sealed" where an archive's gives its seal, with the ledger's size, last event and tree head; the
testimony is by witness code; "how to check" gives \`custody verify\` and the sqlite3 and
coreutils commands that check a case without custody. Nothing decrypted is written anywhere but
into the report, and nothing is added to the ledger: a report changes no state. Its only time is
the ledger's last event's, so the same case and options give the same bytes. A PDF carries the
verification result (verification.json, as \`custody verify --json\` gives it); a CASE/UCO
export is of sealed archives only.

Exit 0 when the archive (or case) verified; exit 3 when a check failed (the report is still written, and
says so on its cover); exit 2 for a mistake on the command line or an --out that cannot be written
(said before any work).`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> crimea-2024-seal.zip --out crimea-report.html', description: 'A report of a sealed archive, images behind a content warning'},
    {
      command: '<%= config.bin %> <%= command.id %> crimea-2024-seal.zip --out report.html --key SHA256:86e35e56ce89c0d90071b081a12ac8dfb8f776b74866a4b92c7f135bc525e75b --tsa-ca freetsa-root.pem',
      description: "As a court would have it: checked against the investigator's key and the TSA's root, both obtained by you",
    },
    {command: '<%= config.bin %> <%= command.id %> crimea-2024-seal.zip --out zvit.html --lang uk', description: "A report whose wording is in Ukrainian (the archive's data is shown as recorded)"},
    {command: '<%= config.bin %> <%= command.id %> crimea-2024-seal/ --out report.html --thumbnails none', description: 'A report of the bag folder unzipped from an archive, without images'},
    {command: '<%= config.bin %> <%= command.id %> crimea-2024-seal.zip --out crimea-report.pdf', description: 'A PDF/A report, the images in an appendix after a content warning, the verification result attached'},
    {command: '<%= config.bin %> <%= command.id %> --case ~/cases/crimea --out crimea-case.html', description: 'A report of the local case, not sealed, verified first (the case passphrase opens its vault)'},
    {command: '<%= config.bin %> <%= command.id %> --case ~/cases/crimea EX-000003 7 --out two-exhibits.pdf --identity hq-key.txt', description: "A report of two exhibits of a field case, its vault opened with HQ's identity"},
  ]

  static override flags = {
    out: Flags.string({char: 'o', description: 'the HTML or PDF file to write (mode 600)', required: true, helpValue: 'FILE.html|FILE.pdf'}),
    format: Flags.string({description: 'the report\'s format (default: from --out\'s extension)', options: [...FORMAT_CHOICES], helpValue: 'FORMAT'}),
    thumbnails: Flags.string({description: 'images: hidden behind a content warning (in a PDF: in an appendix after one), shown, or left out', options: [...THUMBNAIL_CHOICES], default: 'hidden'}),
    lang: Flags.string({description: `the language of the report's wording: ${describeReportLanguages().join(', ')}; data is shown as recorded`, options: REPORT_LANGUAGES, default: 'en', helpValue: 'LANG'}),
    force: Flags.boolean({description: 'replace an existing --out', default: false}),
    key: Flags.string({description: 'the fingerprint of a signing key you expect (SHA256:<64 hex>), as for `custody verify`; repeatable', multiple: true, helpValue: 'FINGERPRINT'}),
    'tsa-ca': Flags.string({description: 'a PEM file of TSA root certificates you trust, as for `custody verify` (repeatable)', multiple: true, helpValue: 'FILE'}),
    case: Flags.string({description: 'report on this local case (the folder holding .custody/) instead of an archive: on every exhibit, or on the EXHIBITs named', helpValue: 'DIR'}),
    identity: Flags.string({
      description: `with --case: ${identityFlag.description ?? ''}; opens the encrypted vault instead of the passphrase (a field case needs it). With an ARCHIVE: ${ARCHIVE_IDENTITY_DESCRIPTION}`,
      multiple: true,
      helpValue: 'FILE',
    }),
    'passphrase-file': Flags.string({description: `with --case: ${passphraseFileFlag.description ?? ''}`, helpValue: 'FILE'}),
  }

  static override strict = false

  async run(): Promise<ReportResult | CaseReportResult> {
    const {argv, flags} = await this.parse(Report)
    const given = argv as string[]
    const format = reportFormat(flags.out, flags.format as ReportFormat | undefined)
    const document: DocumentOptions = {out: flags.out, format, force: flags.force, thumbnails: flags.thumbnails as Thumbnails, lang: flags.lang}
    const progress = progressLine(process.stderr, Boolean(process.stderr.isTTY) && !this.jsonEnabled())
    const onProgress = (done: number, total: number): void => progress.update(`verifying: ${done}/${total} files re-hashed`)
    if (flags.case !== undefined) {
      if (flags.key !== undefined || flags['tsa-ca'] !== undefined) throw new CustodyError('USAGE', '--key and --tsa-ca are for a sealed archive; a case is checked against the keys and roots its ledger records: leave them out with --case')
      using kase = this.openCase(flags.case, {compare: false})
      // An encrypted ledger is opened first: which exhibits there are is what it records.
      await this.openLedgerToRead(kase, flags.identity, flags['passphrase-file'], 'report --case')
      // Exhibits that are not in the case, and an --out that cannot be written, are refused before the passphrase is asked for.
      const selection = given.length === 0 ? undefined : selectExhibits(kase, given)
      refuseInsideCase(checkDocument(document).target, kase.dataDir)
      await this.openVaultToRead(kase, flags.identity, flags['passphrase-file'], 'report --case')
      const result = await reportCase(kase, selection, {...document, verify: {onProgress: (p) => onProgress(p.objectsDone, p.objectsTotal)}})
      return this.finish(progress, result, 'case')
    }

    const archive = given[0]
    if (archive === undefined) throw new CustodyError('MISSING_ARGUMENT', '`custody report` needs ARCHIVE, or --case DIR for a local case; run `custody report --help` for what it takes', {subject: 'ARCHIVE'})
    if (given.length > 1) throw new CustodyError('UNEXPECTED_ARGUMENT', `a report is of one archive, and ${given[1]} is a second one (a case's exhibits are named with --case DIR)`, {subject: given[1]!})
    if (flags['passphrase-file'] !== undefined) throw new CustodyError('USAGE', "--passphrase-file opens a case's vault: give --case DIR with it (an archive encrypted for transport is opened with --identity)")
    const result = await reportArchive(archive, {...document, verify: {onProgress, ...(await archiveTrust(flags))}})
    return this.finish(progress, result, 'archive')
  }

  /** The line that says where the report is and what the verification found; exit 3 when it failed. */
  private finish<T extends ReportResult | CaseReportResult>(progress: {done: () => void}, result: T, what: 'archive' | 'case'): T {
    progress.done()
    this.log(result.verdict === 'verified' ? `Report written to ${result.out}: the ${what} verified.` : `Report written to ${result.out}: VERIFICATION FAILED (${result.failedChecks.join(', ')}).`)
    if (result.verdict !== 'verified') process.exitCode = 3
    return result
  }
}

/** The format --format names, else the one --out's extension names; an extension that says otherwise is refused. */
function reportFormat(out: string, given: ReportFormat | undefined): ReportFormat {
  const named: ReportFormat | undefined = /\.pdf$/i.test(out) ? 'pdf' : /\.html?$/i.test(out) ? 'html' : undefined
  if (given !== undefined && named !== undefined && given !== named) throw new CustodyError('USAGE', `--out ${out} names a ${named.toUpperCase()} file, but --format is ${given}: name the file .${given}, or leave --format out`)
  const format = given ?? named
  if (format === undefined) throw new CustodyError('USAGE', `--out ${out}: the report's format comes from the extension; name the file .html or .pdf, or add --format html|pdf`)
  return format
}
