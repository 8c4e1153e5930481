/**
 * The report as a PDF/A-3b file (ISO 19005-3), made with PDFKit: the fonts embedded (DejaVu Sans
 * and Sans Mono, bundled by the dejavu-fonts-ttf package: Latin, Cyrillic and Armenian), pages
 * written out as they are finished (PDFKit keeps no page once the next begins), files attached as
 * PDF/A-3 associated files (ISO 19005-3 §6.8: /AF with an /AFRelationship).
 *
 * The same report gives the same bytes: the Info dictionary's and the XMP packet's dates are the
 * seal's, and the trailer's document ID (ISO 32000-1 §14.4) is given, not PDFKit's hash of the
 * clock. A PDF cannot hide an image behind a warning as the HTML does, so with --thumbnails
 * hidden an image is only named in place, and drawn in an appendix after a page of content warning.
 *
 * PDFKit's document is a Readable stream, and its 'data' events begin only once the event loop has
 * turned (Readable's resume() is deferred to process.nextTick). A report whose every await resolves
 * at once never turns it: the whole PDF then waited in the stream's buffer, in small pieces, and
 * memory grew with the exhibits. Every block is therefore handed over (handOver), turning the loop
 * when PDFKit holds output that the sink has not had.
 */
import {createRequire} from 'node:module'
import PDFDocument from 'pdfkit'
import type {PackedFile} from './attachment.js'
import type {ReportMessages} from './messages/catalog.js'
import type {ReportSink} from './sink.js'
import {printable, type ExhibitImage, type ReportWriter, type TableKind} from './writer.js'

const FONT_FILES = {body: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf', mono: 'DejaVuSansMono.ttf'} as const
type Face = keyof typeof FONT_FILES
const require = createRequire(import.meta.url)
const fontPath = (face: Face): string => require.resolve(`dejavu-fonts-ttf/ttf/${FONT_FILES[face]}`)
/**
 * The name a face is selected by. The body face is the document's first font, selected by its
 * path: PDFKit caches a font under the name it was first selected by, and would open and parse the
 * same file again at every selection under a second name.
 */
const BODY_FONT = fontPath('body')
const named = (face: Face): string => (face === 'body' ? BODY_FONT : face)

const SIZE = {body: 9, title: 16, 2: 14, 3: 11.5, 4: 10, mono: 7.5} as const
const MARGIN = 50
/** A table of more columns than this is written a row at a time as labelled lines: A4 is too narrow for ten columns of hashes. */
const GRID_COLUMNS = 3
const GRID_WIDTHS = [0.24, 0.18, 0.58]
const LABEL_WIDTH = 130
const IMAGE_BOX = 260

/** What the document says about itself, taken from the seal. */
export interface PdfMeta {
  title: string
  lang: string
  /** The seal's time: the document's creation and modification date. */
  date: Date
  /** The trailer's document ID (16 bytes). */
  id: Buffer
  creator: string
}

/** A file attached to the PDF. */
export interface PdfAttachment {
  name: string
  type: string
  description: string
  body: PackedFile
}

/** The parts of PDFKit's document that attach() uses and its types do not list: the catalog, whose /AF lists the associated files. */
interface DocumentCatalog {
  _root: {data: {AF?: PDFKit.PDFKitReference[]}}
}

export class PdfWriter implements ReportWriter {
  private readonly doc: PDFKit.PDFDocument
  private readonly ended: Promise<void>
  private header: readonly string[] = []

  constructor(
    private readonly out: ReportSink,
    private readonly m: ReportMessages,
    private readonly meta: PdfMeta,
  ) {
    this.doc = new PDFDocument({
      subset: 'PDF/A-3b',
      pdfVersion: '1.7',
      size: 'A4',
      margin: MARGIN,
      font: BODY_FONT,
      lang: meta.lang,
      displayTitle: true,
      // PDFKit's cache of laid-out words has no bound: every hash is a new word, so memory would grow with the exhibits.
      fontLayoutCache: false,
      info: {Title: meta.title, Creator: meta.creator, Producer: meta.creator, CreationDate: meta.date, ModDate: meta.date},
    })
    // The trailer ID PDFKit would make hashes the Info dictionary; set here so that it is the seal's, whatever PDFKit adds.
    Object.assign(this.doc, {_id: meta.id})
    for (const face of ['bold', 'mono'] as const) this.doc.registerFont(face, fontPath(face))
    this.doc.on('data', (chunk: Buffer) => this.out.push(chunk))
    this.ended = new Promise((resolve, reject) => {
      this.doc.once('end', resolve)
      this.doc.once('error', reject)
    })
  }

  private get width(): number {
    return this.doc.page.width - 2 * MARGIN
  }

  private get bottom(): number {
    return this.doc.page.maxY()
  }

  /** Text at the left margin, flowing onto new pages as needed. */
  private text(value: unknown, face: Face = 'body', size: number = SIZE.body, gap = 0.35): void {
    this.doc.font(named(face)).fontSize(size).text(printable(value), MARGIN, this.doc.y, {width: this.width})
    this.doc.moveDown(gap)
  }

  /** A new page when less than `height` is left on this one. */
  private room(height: number): void {
    if (this.doc.y + height > this.bottom) this.doc.addPage()
  }

  /** Cells side by side, each with its face, starting a new page when the row does not fit. */
  private cells(cells: ReadonlyArray<{text: string; width: number; face: Face}>): void {
    const heightOf = (c: {text: string; width: number; face: Face}): number => this.doc.font(named(c.face)).fontSize(SIZE.body).heightOfString(c.text, {width: c.width})
    const height = Math.max(...cells.map(heightOf))
    if (height > this.bottom - this.doc.page.margins.top) {
      // Taller than a page: written one after the other, flowing across pages.
      for (const c of cells) this.text(c.text, c.face)
      return
    }

    this.room(height)
    const y = this.doc.y
    let x = MARGIN
    for (const c of cells) {
      this.doc.font(named(c.face)).fontSize(SIZE.body).text(c.text, x, y, {width: c.width - 4})
      x += c.width
    }

    this.doc.x = MARGIN
    this.doc.y = y + height + 3
  }

  async begin(title: string): Promise<void> {
    this.text(title, 'bold', SIZE.title, 0.6)
    await this.handOver()
  }

  async heading(level: 2 | 3 | 4, text: string, _id = '', first = false): Promise<void> {
    if (level === 2 && !first) this.doc.addPage()
    this.room(level === 4 ? 40 : 60)
    this.doc.moveDown(level === 2 ? 0 : 0.4)
    this.text(text, 'bold', SIZE[level], 0.3)
    await this.handOver()
  }

  async paragraph(text: string): Promise<void> {
    this.text(text)
  }

  async verdict(text: string, failed: boolean): Promise<void> {
    const pad = 8
    const body = printable(text)
    const height = this.doc.font(named('bold')).fontSize(SIZE[3]).heightOfString(body, {width: this.width - 2 * pad})
    this.room(height + 2 * pad)
    const y = this.doc.y
    this.doc.lineWidth(failed ? 4 : 1.5).rect(MARGIN, y, this.width, height + 2 * pad).stroke()
    this.doc.text(body, MARGIN + pad, y + pad, {width: this.width - 2 * pad})
    this.doc.x = MARGIN
    this.doc.y = y + height + 2 * pad + 8
  }

  async facts(pairs: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
    for (const [label, value] of pairs) {
      this.cells([
        {text: printable(label), width: LABEL_WIDTH, face: 'bold'},
        {text: printable(value), width: this.width - LABEL_WIDTH, face: 'body'},
      ])
    }

    this.doc.moveDown(0.4)
    await this.handOver()
  }

  async tableStart(header: readonly string[], _kind: TableKind): Promise<void> {
    this.header = header
    if (header.length <= GRID_COLUMNS) this.cells(this.grid(header, 'bold'))
    this.rule()
  }

  async row(cells: readonly unknown[]): Promise<void> {
    if (this.header.length <= GRID_COLUMNS) this.cells(this.grid(cells, 'body'))
    else await this.facts(this.header.map((label, i) => [label, cells[i]] as const))
    this.rule()
    await this.handOver()
  }

  async tableEnd(): Promise<void> {
    this.doc.moveDown(0.5)
  }

  async list(items: readonly string[]): Promise<void> {
    for (const item of items) {
      this.room(20)
      this.doc.font(named('body')).fontSize(SIZE.body).text(`•  ${printable(item)}`, MARGIN + 8, this.doc.y, {width: this.width - 8})
      this.doc.moveDown(0.2)
    }

    this.doc.x = MARGIN
    this.doc.moveDown(0.3)
  }

  async pre(text: string): Promise<void> {
    this.doc.font(named('mono')).fontSize(SIZE.mono).text(text.split('\n').map(printable).join('\n'), MARGIN, this.doc.y, {width: this.width})
    this.doc.moveDown(0.5)
    await this.handOver()
  }

  async definitions(terms: ReadonlyArray<readonly [string, string]>): Promise<void> {
    for (const [term, meaning] of terms) {
      this.room(40)
      this.text(term, 'bold', SIZE.body, 0.1)
      this.text(meaning, 'body', SIZE.body, 0.5)
    }
  }

  async sectionStart(_kind: 'exhibit' | 'testimony'): Promise<void> {
    this.room(80)
    this.doc.moveDown(0.5)
    this.rule(2)
  }

  async sectionEnd(): Promise<void> {
    this.doc.moveDown(0.5)
    await this.handOver()
  }

  async image(image: ExhibitImage, thumbnails: 'shown' | 'hidden'): Promise<void> {
    if (image.kind === 'note') return this.paragraph(image.text)
    if (thumbnails === 'hidden') return this.paragraph(this.m.pdf.inAppendix)
    this.room(IMAGE_BOX)
    try {
      this.doc.image(image.bytes, MARGIN, this.doc.y, {fit: [IMAGE_BOX, IMAGE_BOX - 10]})
    } catch {
      // A JPEG or PNG PDFKit cannot decode (hostile or unusual): said, not drawn.
      return this.paragraph(this.m.pdf.unrenderable)
    }

    this.doc.x = MARGIN
    this.doc.moveDown(0.5)
    await this.handOver()
  }

  /**
   * Attaches a file as an associated file of the document (PDF/A-3, ISO 19005-3 §6.8: a file
   * specification with /AFRelationship /Data, listed in the catalog's /AF and in its EmbeddedFiles
   * names), dated with the seal. The objects PDFKit's file() would make, from the packed file.
   */
  attach(file: PdfAttachment): void {
    const {date} = this.meta
    const stream = this.doc.ref({
      Type: 'EmbeddedFile',
      Subtype: file.type.replace('/', '#2F'),
      // Given already compressed: PDFKit compresses a stream only when it names no filter.
      Filter: 'FlateDecode',
      Params: {CreationDate: date, ModDate: date, CheckSum: file.body.md5, Size: file.body.size},
    })
    stream.end(file.body.deflated)
    // PDFKit writes a String object as a PDF text string, and a plain string as a name.
    const text = (value: string): string => new String(value) as string
    const spec = this.doc.ref({Type: 'Filespec', AFRelationship: 'Data', F: text(file.name), UF: text(file.name), Desc: text(file.description), EF: {F: stream}})
    spec.end(undefined)
    this.doc.addNamedEmbeddedFile(file.name, spec)
    const catalog = (this.doc as unknown as DocumentCatalog)._root.data
    catalog.AF = [...(catalog.AF ?? []), spec]
  }

  async pageBreak(): Promise<void> {
    this.doc.addPage()
  }

  async end(): Promise<void> {
    this.doc.end()
    await this.ended
  }

  /** Gives the sink what PDFKit has made so far (see the module's comment), then lets it write. */
  private async handOver(): Promise<void> {
    if (this.doc.readableLength > 0) await new Promise<void>((resolve) => setImmediate(resolve))
    await this.out.drain()
  }

  private grid(cells: readonly unknown[], face: Face): Array<{text: string; width: number; face: Face}> {
    const widths = cells.length === GRID_COLUMNS ? GRID_WIDTHS : cells.map(() => 1 / cells.length)
    return cells.map((c, i) => ({text: printable(c), width: this.width * (widths[i] ?? 0), face}))
  }

  private rule(width = 0.5): void {
    const y = this.doc.y
    this.doc.lineWidth(width).moveTo(MARGIN, y).lineTo(MARGIN + this.width, y).stroke()
    this.doc.y = y + 3
  }
}
