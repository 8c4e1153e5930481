/**
 * The report as one self-contained HTML file: blocks written as markup, every string escaped
 * (html.ts), images inlined as data: URIs and, by default, inside a <details> element the reader
 * opens past a content warning (no script needed).
 */
import {documentHead, escapeHtml, escapeLines, facts, heading, row} from './html.js'
import type {ReportMessages} from './messages/catalog.js'
import type {ReportSink} from './sink.js'
import type {ExhibitImage, ReportWriter, TableKind} from './writer.js'

export class HtmlWriter implements ReportWriter {
  constructor(
    private readonly out: ReportSink,
    private readonly m: ReportMessages,
  ) {}

  async begin(title: string): Promise<void> {
    await this.out.write(documentHead(this.m.lang, title))
  }

  async heading(level: 2 | 3 | 4, text: string, id = '', first = false): Promise<void> {
    if (id === '') return this.out.write(`<h${level}>${escapeHtml(text)}</h${level}>\n`)
    const markup = heading(level, text, id)
    await this.out.write(first ? markup.replace('<h2', '<h2 class="first"') : markup)
  }

  async paragraph(text: string): Promise<void> {
    await this.out.write(`<p>${escapeHtml(text)}</p>\n`)
  }

  async verdict(text: string, failed: boolean): Promise<void> {
    await this.out.write(`<p class="verdict${failed ? ' failed' : ''}">${escapeHtml(text)}</p>\n`)
  }

  async facts(pairs: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
    await this.out.write(facts(pairs))
  }

  async tableStart(header: readonly string[], kind: TableKind): Promise<void> {
    await this.out.write(`<table${kind === 'plain' ? '' : ` class="${kind}"`}>\n${row(header, true)}`)
  }

  async row(cells: readonly unknown[]): Promise<void> {
    await this.out.write(row(cells))
  }

  async tableEnd(): Promise<void> {
    await this.out.write('</table>\n')
  }

  async list(items: readonly string[]): Promise<void> {
    await this.out.write(`<ul>\n${items.map((i) => `<li>${escapeHtml(i)}</li>\n`).join('')}</ul>\n`)
  }

  async pre(text: string): Promise<void> {
    await this.out.write(`<pre>${escapeLines(text)}</pre>\n`)
  }

  async definitions(terms: ReadonlyArray<readonly [string, string]>): Promise<void> {
    await this.out.write(`<dl>\n${terms.map(([term, meaning]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(meaning)}</dd>\n`).join('')}</dl>\n`)
  }

  async sectionStart(kind: 'exhibit' | 'testimony'): Promise<void> {
    await this.out.write(`<section class="${kind}">\n`)
  }

  async sectionEnd(): Promise<void> {
    await this.out.write('</section>\n')
  }

  async image(image: ExhibitImage, thumbnails: 'shown' | 'hidden'): Promise<void> {
    if (image.kind === 'note') return this.paragraph(image.text)
    const img = `<img class="thumb" alt="${escapeHtml(image.alt)}" src="data:${image.type};base64,${image.bytes.toString('base64')}">`
    if (thumbnails === 'shown') return this.out.write(`<p>${img}</p>\n`)
    await this.out.write(`<details class="content-warning"><summary>${escapeHtml(this.m.exhibit.warning)}</summary>\n<p>${img}</p>\n</details>\n`)
  }

  /** A page is the printer's: the style sheet breaks before each section. */
  async pageBreak(): Promise<void> {}

  async end(): Promise<void> {
    await this.out.write('</body>\n</html>\n')
  }
}
