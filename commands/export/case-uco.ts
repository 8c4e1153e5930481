import {Args, Flags} from '@oclif/core'
import {exportCaseUco, type CaseUcoResult} from '../../src/case-uco/export.js'
import {progressLine} from '../../src/render/progress.js'
import {ARCHIVE_IDENTITY_DESCRIPTION, ARCHIVE_TRUST_FLAGS, archiveTrust} from '../_archive-trust.js'
import {CustodyCommand, prose} from '../_base.js'

export default class ExportCaseUco extends CustodyCommand {
  static override args = {
    archive: Args.string({description: 'a sealed archive (ZIP, or FILE.zip.age encrypted for transport), or its bag folder unzipped, to export', required: true}),
  }

  static override description = prose`Export a sealed archive as CASE/UCO 1.4 JSON-LD, for forensic tools and prosecutors' systems.

CASE (caseontology.org) is the ontology that cyber-investigation tools exchange. The export holds
each exhibit as an observable File (its name, size, SHA-256 and SHA-512, its EXIF tags where
ExifTool found some), the device that made it (make, model, serial number) and the GPS position
it records; each custody event of an exhibit as an investigative action (who, with custody at its
version, on which file, when), each informed by the one before, so that an exhibit's events form
its provenance chain; the sealing, and the seal as a provenance record with every exhibit number;
and each witness's interview, the witness named by code only (never a name or contact; where the
interview took place is left out). Its node IRIs are derived from the seal ID: the same archive
gives the same bytes.

The archive is verified first, with every check \`custody verify ARCHIVE\` runs: an archive that
does not verify is refused (exit 3) and nothing is written. Run \`custody report\` to have a
document that says what failed.

--key and --tsa-ca are those of \`custody verify\`: the signer and TSA roots you trust. An archive
encrypted for transport (FILE.zip.age, \`custody seal --encrypt-to\`) is opened with --identity
FILE, a recipient's age identity, and decrypted in memory only, as \`custody verify\` does.

Exit 0 when the export is written; exit 3 when the archive did not verify; exit 2 for a mistake
on the command line or an --out that cannot be written (said before any work).`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> crimea-2024-seal.zip --out crimea-2024.jsonld', description: 'The archive as CASE/UCO JSON-LD'},
    {
      command: '<%= config.bin %> <%= command.id %> crimea-2024-seal.zip --out crimea-2024.jsonld --key SHA256:86e35e56ce89c0d90071b081a12ac8dfb8f776b74866a4b92c7f135bc525e75b --tsa-ca freetsa-root.pem',
      description: "As a court's expert would: checked against the investigator's key and the TSA's root, both obtained by you",
    },
    {command: '<%= config.bin %> <%= command.id %> crimea-2024-seal/ --out crimea-2024.jsonld --force', description: 'From the bag folder unzipped from an archive, replacing an earlier export'},
    {command: '<%= config.bin %> <%= command.id %> crimea-2024-seal.zip.age --identity hq-key.txt --out crimea-2024.jsonld', description: 'From an archive encrypted for transport, with the identity it was encrypted to'},
  ]

  static override flags = {
    out: Flags.string({char: 'o', description: 'the JSON-LD file to write (mode 600)', required: true, helpValue: 'FILE.jsonld'}),
    force: Flags.boolean({description: 'replace an existing --out', default: false}),
    ...ARCHIVE_TRUST_FLAGS,
    identity: Flags.string({description: ARCHIVE_IDENTITY_DESCRIPTION, multiple: true, helpValue: 'FILE'}),
  }

  async run(): Promise<CaseUcoResult> {
    const {args, flags} = await this.parse(ExportCaseUco)
    const progress = progressLine(process.stderr, Boolean(process.stderr.isTTY) && !this.jsonEnabled())
    const trust = await archiveTrust(flags)
    try {
      const result = await exportCaseUco(args.archive, {
        out: flags.out,
        force: flags.force,
        verify: {onProgress: (done, total) => progress.update(`verifying: ${done}/${total} files re-hashed`), ...trust},
      })
      this.log(`CASE/UCO export written to ${result.out}: ${result.exhibits} exhibits, ${result.actions} custody events, ${result.testimonies} testimonies; the archive verified.`)
      return result
    } finally {
      progress.done()
    }
  }
}
