/** `custody list` as text: a line an exhibit, in columns of fixed width, written as the exhibits are read. */
import type {ListedExhibit} from '../exhibits/list.js'
import {plural, safeText} from './text.js'

/** Widths of the columns; the last (who collected it) takes what it needs. */
const WIDTH = {exhibit: 10, name: 32, type: 24, captured: 29} as const

/** A value in a column: escaped, cut short with an ellipsis when longer than the column. */
function cell(value: string, width: number): string {
  const text = safeText(value)
  const chars = [...text]
  return (chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : text).padEnd(width)
}

function testimonyMark(testimonies: ListedExhibit['testimonies']): string {
  if (testimonies.length === 0) return ''
  const parts = testimonies.map((t) => `${safeText(t.witness)} ${t.role === 'statement' ? `statement v${t.version}` : 'attachment'}`)
  return `  [testimony ${parts.join('; ')}]`
}

function exhibitLine(x: ListedExhibit): string {
  return [
    x.exhibit.padEnd(WIDTH.exhibit),
    cell(x.name, WIDTH.name),
    cell(x.type ?? 'unknown', WIDTH.type),
    cell(x.captured ?? '-', WIDTH.captured),
    safeText(x.collectedBy ?? '-') + testimonyMark(x.testimonies) + (x.purged ? '  [purged]' : ''),
  ].join(' ')
}

/** The list, line by line: a header, a line an exhibit, and how many there were. */
export function* renderExhibitList(exhibits: Iterable<ListedExhibit>, type?: string): Generator<string> {
  let count = 0
  let ofTestimony = 0
  let purged = 0
  for (const x of exhibits) {
    if (count === 0) yield ['ID'.padEnd(WIDTH.exhibit), 'NAME'.padEnd(WIDTH.name), 'TYPE'.padEnd(WIDTH.type), 'CAPTURED'.padEnd(WIDTH.captured), 'COLLECTED BY'].join(' ')
    count++
    if (x.testimonies.length > 0) ofTestimony++
    if (x.purged) purged++
    yield exhibitLine(x)
  }

  const what = type === undefined ? '' : ` of type ${safeText(type)}`
  if (count === 0) {
    yield type === undefined ? 'No exhibits yet: `custody ingest FILE...` takes files in.' : `No exhibits${what}.`
    return
  }

  yield ''
  const gone = purged > 0 ? `, ${purged} purged from the vault after their receiver acknowledged them` : ''
  yield `${plural(count, 'exhibit')}${what}${ofTestimony > 0 ? `, ${ofTestimony} of them part of a testimony` : ''}${gone}. \`custody show ID\` describes one.`
}
