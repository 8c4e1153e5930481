import {Args, Flags} from '@oclif/core'
import {readTrustedRoots} from '../src/case/settings.js'
import {CustodyError} from '../src/errors.js'
import {parseFingerprint} from '../src/keys/signing-key.js'
import {progressLine} from '../src/render/progress.js'
import {describeReportLanguages, reportLanguages} from '../src/report/messages/catalog.js'
import {reportArchive, type ReportResult} from '../src/report/report.js'
import {THUMBNAIL_CHOICES, type Thumbnails} from '../src/report/thumbnails.js'
import {parsePemCertificates} from '../src/timestamps/token.js'
import {CustodyCommand, prose} from './_base.js'

const REPORT_LANGUAGES = reportLanguages()

export default class Report extends CustodyCommand {
  static override args = {
    archive: Args.string({description: 'a sealed archive (ZIP), or its bag folder unzipped, to report on', required: true}),
  }

  static override description = prose`Write a report of a sealed archive for a court: one HTML file to read, print and file.

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

The report is one self-contained file: images are inlined, nothing is loaded from the network,
no script is needed, it prints on A4 and Letter and reads without colour. Images are hidden
behind a content warning the reader opens (--thumbnails shown, or none to leave them out); there
is no image library, so the original is inlined when it is a JPEG or PNG of at most 2 MiB, and the
report says when one is larger. The same archive and options give the same bytes.

--lang sets the language of the report's fixed wording (headings, verdict, labels, glossary):
English (en, the default), Ukrainian (uk) or Russian (ru), or any other language a message file
was added for (src/report/messages/). What comes from the archive (names, places, notes, the
verifier's findings and check names) is shown as recorded, never translated; times stay ISO 8601
as recorded. Only HTML for now: PDF/A is still to come. The same archive as CASE/UCO JSON-LD is \`custody export case-uco\`.

--key and --tsa-ca are those of \`custody verify\`: the signer and TSA roots you trust.

Exit 0 when the archive verified; exit 3 when a check failed (the report is still written, and
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
  ]

  static override flags = {
    out: Flags.string({char: 'o', description: 'the HTML file to write (mode 600)', required: true, helpValue: 'FILE.html'}),
    format: Flags.string({description: 'the report\'s format (default: from --out; only html for now)', options: ['html'], helpValue: 'FORMAT'}),
    thumbnails: Flags.string({description: 'images: hidden behind a content warning the reader opens, shown, or left out', options: [...THUMBNAIL_CHOICES], default: 'hidden'}),
    lang: Flags.string({description: `the language of the report's wording: ${describeReportLanguages().join(', ')}; data is shown as recorded`, options: REPORT_LANGUAGES, default: 'en', helpValue: 'LANG'}),
    force: Flags.boolean({description: 'replace an existing --out', default: false}),
    key: Flags.string({description: 'the fingerprint of a signing key you expect (SHA256:<64 hex>), as for `custody verify`; repeatable', multiple: true, helpValue: 'FINGERPRINT'}),
    'tsa-ca': Flags.string({description: 'a PEM file of TSA root certificates you trust, as for `custody verify` (repeatable)', multiple: true, helpValue: 'FILE'}),
  }

  async run(): Promise<ReportResult> {
    const {args, flags} = await this.parse(Report)
    if (/\.pdf$/i.test(flags.out)) throw new CustodyError('USAGE', `--out ${flags.out}: a PDF/A report is still to come; write an HTML report (--out FILE.html) and print it to PDF if needed`)
    if (flags.format === undefined && !/\.html?$/i.test(flags.out)) {
      throw new CustodyError('USAGE', `--out ${flags.out}: only an HTML report (.html) can be made for now; name the file .html, or add --format html`)
    }

    const progress = progressLine(process.stderr, Boolean(process.stderr.isTTY) && !this.jsonEnabled())
    const pinnedKeys = flags.key?.map((k) => parseFingerprint(k))
    const roots = flags['tsa-ca'] === undefined ? undefined : (await readTrustedRoots(flags['tsa-ca'])).flatMap((r) => parsePemCertificates(r.pem))
    const result = await reportArchive(args.archive, {
      out: flags.out,
      force: flags.force,
      thumbnails: flags.thumbnails as Thumbnails,
      lang: flags.lang,
      verify: {onProgress: (done, total) => progress.update(`verifying: ${done}/${total} files re-hashed`), ...(pinnedKeys === undefined ? {} : {pinnedKeys}), ...(roots === undefined ? {} : {tsaRoots: roots})},
    })
    progress.done()
    this.log(result.verdict === 'verified' ? `Report written to ${result.out}: the archive verified.` : `Report written to ${result.out}: VERIFICATION FAILED (${result.failedChecks.join(', ')}).`)
    if (result.verdict !== 'verified') process.exitCode = 3
    return result
  }
}
