/**
 * What the report's sections are written to: blocks (headings, paragraphs, tables, lists), not
 * markup. The sections (front.ts, exhibits.ts, back.ts) say what the report holds once; each
 * format (html-writer.ts, pdf-writer.ts) says how a block looks. Every string passed here is data
 * or a message, never markup: each writer makes it safe for its format.
 */
import {safeText} from '../render/text.js'

/** An exhibit's image as the report can show it: the picture, or a sentence saying why not. */
export type ExhibitImage = {kind: 'image'; bytes: Buffer; type: 'image/jpeg' | 'image/png'; alt: string} | {kind: 'note'; text: string}

/** A table's class: how the HTML styles it, and nothing else. */
export type TableKind = 'checks' | 'problems' | 'exhibits' | 'custody' | 'plain'

export interface ReportWriter {
  /** The document's start, with its title. */
  begin(title: string): Promise<void>
  /** A heading; levels 2 and 3 carry an anchor ID; the first level-2 heading starts no new page. */
  heading(level: 2 | 3 | 4, text: string, id?: string, first?: boolean): Promise<void>
  paragraph(text: string): Promise<void>
  /** The verdict in one sentence, set apart on the cover. */
  verdict(text: string, failed: boolean): Promise<void>
  /** Labels and their values. */
  facts(pairs: ReadonlyArray<readonly [string, unknown]>): Promise<void>
  /** A table's header; its rows follow one call each (a table of thousands is never whole in memory). */
  tableStart(header: readonly string[], kind: TableKind): Promise<void>
  row(cells: readonly unknown[]): Promise<void>
  tableEnd(): Promise<void>
  list(items: readonly string[]): Promise<void>
  /** Text of many lines kept as it is (commands to type). */
  pre(text: string): Promise<void>
  /** Terms and their meanings. */
  definitions(terms: ReadonlyArray<readonly [string, string]>): Promise<void>
  /** A group of blocks about one exhibit or one witness. */
  sectionStart(kind: 'exhibit' | 'testimony'): Promise<void>
  sectionEnd(): Promise<void>
  /** An exhibit's image, as --thumbnails asks (never called with 'none'). */
  image(image: ExhibitImage, thumbnails: 'shown' | 'hidden'): Promise<void>
  /** What follows starts a new page (where a format has pages). */
  pageBreak(): Promise<void>
  end(): Promise<void>
}

/** Any value as text, control and bidirectional characters shown as escapes (src/render/text.ts). */
export function printable(value: unknown): string {
  const text = typeof value === 'string' ? value : value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value)
  return safeText(text)
}
