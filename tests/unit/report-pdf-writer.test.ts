/**
 * The PDF writer's output goes to its sink as it is made (src/report/pdf-writer.ts), and files it
 * attaches are packed as they are written (src/report/attachment.ts): the two things that kept a
 * PDF report's memory growing with the exhibits.
 */
import {createHash, randomBytes} from 'node:crypto'
import {inflateSync} from 'node:zlib'
import {describe, expect, it} from 'vitest'
import {FilePacker, packBytes} from '../../src/report/attachment.js'
import {loadReportMessages} from '../../src/report/messages/catalog.js'
import {PdfWriter} from '../../src/report/pdf-writer.js'
import type {ReportSink} from '../../src/report/sink.js'

/** A sink that counts what it is given; its drain() resolves at once, as a sink with little pending does. */
function countingSink(): {sink: ReportSink; received: () => number} {
  let bytes = 0
  const sink = {
    push(chunk: Buffer): void {
      bytes += chunk.length
    },
    async drain(): Promise<void> {},
  }
  return {sink: sink as unknown as ReportSink, received: () => bytes}
}

describe('PdfWriter', () => {
  it('hands its pages to the sink as it writes them, not all at the end', async () => {
    const {sink, received} = countingSink()
    const writer = new PdfWriter(sink, loadReportMessages('en'), {title: 't', lang: 'en', date: new Date(0), id: Buffer.alloc(16), creator: 'custody test'})
    await writer.begin('A report')
    for (let i = 0; i < 400; i++) {
      await writer.sectionStart('exhibit')
      await writer.heading(3, `EX-${String(i).padStart(4, '0')}`)
      await writer.facts([
        ['SHA-256', randomBytes(32).toString('hex')],
        ['Original name', `IMG_${i}.JPG`],
      ])
      await writer.sectionEnd()
    }

    const beforeEnd = received()
    await writer.end()
    // Every page but the last is out before the end: only the last page, the fonts and the cross-reference table are left.
    expect(beforeEnd).toBeGreaterThan(received() / 2)
  })
})

describe('FilePacker', () => {
  const pieces = Array.from({length: 3000}, (_, i) => `{"@id": "kb:exhibit-${i}", "sha256": "${createHash('sha256').update(String(i)).digest('hex')}"},\n`)
  const whole = Buffer.from(pieces.join(''), 'utf8')

  async function pack(): Promise<Awaited<ReturnType<FilePacker['finish']>>> {
    const packer = new FilePacker()
    for (const piece of pieces) await packer.write(piece)
    return packer.finish()
  }

  it('gives the bytes written, compressed, with their size and MD5', async () => {
    const packed = await pack()
    expect(whole.length).toBeGreaterThan(128 * 1024)
    expect(inflateSync(packed.deflated).equals(whole)).toBe(true)
    expect(packed.size).toBe(whole.length)
    expect(packed.md5.equals(createHash('md5').update(whole).digest())).toBe(true)
    expect(packed.deflated.length).toBeLessThan(whole.length)
  })

  it('gives the same bytes for the same pieces', async () => {
    expect((await pack()).deflated.equals((await pack()).deflated)).toBe(true)
  })

  it('packs an empty file, and a file held whole, alike', async () => {
    const empty = await new FilePacker().finish()
    expect(empty.size).toBe(0)
    expect(inflateSync(empty.deflated).length).toBe(0)
    const held = packBytes(whole)
    expect(inflateSync(held.deflated).equals(whole)).toBe(true)
    expect(held.md5.equals((await pack()).md5)).toBe(true)
  })
})
