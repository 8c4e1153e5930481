import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {MetadataReader, type MetadataRecord} from '../../src/metadata/exiftool.js'
import {normaliseMetadata, parseExifDate, type NormalisedMetadata} from '../../src/metadata/normalise.js'

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname
const SAMPLES = join(FIXTURES, 'camera-samples')

type Expected = Record<string, string | number | undefined> & {SourceFile: string}
const expectedTags = JSON.parse(readFileSync(join(SAMPLES, 'expected-tags.json'), 'utf8')) as Expected[]

/** ExifTool's `YYYY:MM:DD HH:MM:SS[.fff][±HH:MM]` as ISO local time and offset. */
function expectedCapture(value: string | number): {local: string; offset: string | null} {
  const m = /^(\d{4})(?::(\d{2}):(\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?))?([+-]\d{2}:\d{2})?$/.exec(String(value))!
  return {local: m[2] === undefined ? m[1]! : `${m[1]}-${m[2]}-${m[3]}T${m[4]}`, offset: m[5] ?? null}
}

describe('metadata from real camera files (ExifTool)', () => {
  let reader: MetadataReader
  const records = new Map<string, MetadataRecord>()
  const normalised = new Map<string, NormalisedMetadata>()

  beforeAll(async () => {
    reader = await MetadataReader.start({maxProcs: 2})
    for (const expected of expectedTags) {
      const record = await reader.read(join(SAMPLES, expected.SourceFile))
      records.set(expected.SourceFile, record)
      normalised.set(expected.SourceFile, normaliseMetadata(record.tags))
    }
  })

  afterAll(async () => {
    await reader.end()
  })

  it('keeps a complete record: the reader, group-qualified tags, no file-system facts', () => {
    const record = records.get('GPS.jpg')!
    expect(record.reader.name).toBe('ExifTool')
    expect(record.reader.version).toMatch(/^\d+\.\d+/)
    expect(record.tags['EXIF:IFD0:Make']).toBe('FUJIFILM')
    expect(Object.keys(record.tags).some((k) => k.startsWith('System:'))).toBe(false)
    expect(record.tags).not.toHaveProperty('SourceFile')
  })

  for (const expected of expectedTags) {
    it(`normalises ${expected.SourceFile} as ExifTool reads it`, () => {
      const n = normalised.get(expected.SourceFile)!
      expect(n.mimeType).toBe(expected.MIMEType)
      expect(n.device.make).toBe(expected.Make === undefined ? null : String(expected.Make).trim())
      if (expected.Model !== undefined) expect(n.device.model).toBe(String(expected.Model).trim())
      if (expected.SerialNumber !== undefined) expect(n.device.serialNumber).toBe(String(expected.SerialNumber).trim())
      if (expected.Software !== undefined) expect(n.software).toBe(expected.Software)
      if (expected.ImageWidth !== undefined) expect(n.image).toEqual({width: expected.ImageWidth, height: expected.ImageHeight})
      if (expected.GPSLatitude === undefined) {
        expect(n.gps).toBeNull()
      } else {
        expect(n.gps?.latitude).toBeCloseTo(Number(expected.GPSLatitude), 9)
        expect(n.gps?.longitude).toBeCloseTo(Number(expected.GPSLongitude), 9)
        expect(n.gps?.altitude).toBe(expected.GPSAltitude ?? null)
      }

      if (expected.DateTimeOriginal !== undefined) {
        const want = expectedCapture(expected.DateTimeOriginal)
        expect(n.captureTime?.local).toBe(want.local)
        // Where ExifTool's chosen tag carries an offset, ours must be the same.
        if (want.offset !== null) expect(n.captureTime?.offset).toBe(want.offset)
      }
    })
  }

  it('says when a capture time has no time-zone offset', () => {
    const canon = normalised.get('Canon.jpg')!.captureTime!
    expect(canon).toMatchObject({local: '2003-12-04T06:46:52', offset: null, utc: null, offsetSource: null})
    expect(canon.source).toBe('EXIF:ExifIFD:DateTimeOriginal')
  })

  it('takes an offset only from a tag that states the same moment, and names it', () => {
    const flir = normalised.get('FLIR.jpg')!.captureTime!
    expect(flir).toEqual({
      local: '2012-02-11T14:17:08.253',
      offset: '+01:00',
      utc: '2012-02-11T13:17:08.253Z',
      source: 'EXIF:ExifIFD:DateTimeOriginal',
      offsetSource: 'APP1:FLIR:DateTimeOriginal',
    })
    // The DNG's XMP (written by Adobe software) states the camera's local time with its offset.
    const dng = normalised.get('DNG.dng')!.captureTime!
    expect(dng).toMatchObject({local: '2005-08-03T18:59:18', offset: '-04:00', utc: '2005-08-03T22:59:18.000Z'})
    expect(dng.offsetSource).toBe('XMP:XMP-exif:DateTimeOriginal')
    // The PDF's own CreateDate has an offset, but for another moment: it is not borrowed.
    expect(normalised.get('PDF.pdf')!.captureTime).toMatchObject({local: '2001-05-19T18:36:41', offset: null})
  })

  it('keeps a partial date as precise as the file states it', () => {
    expect(normalised.get('MP3.mp3')!.captureTime).toMatchObject({local: '2005', offset: null, utc: null})
  })

  it('falls back to a camera serial number under another name, and says where it came from', () => {
    const flir = normalised.get('FLIR.jpg')!
    expect(flir.device.serialNumber).toBe('470023842')
    expect(flir.sources.serialNumber).toBe('APP1:FLIR:CameraSerialNumber')
    // Olympus pads its serial with spaces; the maker note wins over XMP for the DNG.
    expect(normalised.get('Olympus2.jpg')!.device.serialNumber).toBe('C90500055')
    expect(normalised.get('DNG.dng')!.sources.serialNumber).toBe('MakerNotes:Canon:SerialNumber')
  })

  it('records ExifTool warnings for a corrupt JPEG instead of failing', async () => {
    const record = await reader.read(join(FIXTURES, 'hostile', 'corrupt-truncated.jpg'))
    expect(record.warnings.join(' ')).toMatch(/JPEG format error/)
    expect(normaliseMetadata(record.tags).mimeType).toBe('image/jpeg')
  })

  it('turns an unreadable path into a recorded error, not an exception', async () => {
    const record = await reader.read(join(FIXTURES, 'no-such-file.jpg'))
    expect(record.errors.length).toBeGreaterThan(0)
    expect(record.tags).toEqual({})
  })

  it('gives each file the same record when many are read at once (several files per ExifTool request)', async () => {
    // All at once: while both processes are busy the reads queue and go in shared requests. A
    // missing file and a corrupt one among them keep their own complaints and spoil nothing else.
    const paths = [
      ...expectedTags.map((e) => join(SAMPLES, e.SourceFile)),
      join(FIXTURES, 'no-such-file.jpg'),
      join(FIXTURES, 'hostile', 'corrupt-truncated.jpg'),
      ...expectedTags.map((e) => join(SAMPLES, e.SourceFile)),
    ]
    const together = await Promise.all(paths.map((path) => reader.read(path)))
    for (const [i, expected] of expectedTags.entries()) {
      expect(together[i], expected.SourceFile).toEqual(records.get(expected.SourceFile))
      expect(together[i + expectedTags.length + 2], expected.SourceFile).toEqual(records.get(expected.SourceFile))
    }

    expect(together[expectedTags.length]!.tags).toEqual({})
    expect(together[expectedTags.length]!.errors.length).toBeGreaterThan(0)
    expect(together[expectedTags.length + 1]!.warnings.join(' ')).toMatch(/JPEG format error/)
  })
})

describe('ExifTool date parsing', () => {
  it.each([
    ['2003:12:04 06:46:52', {local: '2003-12-04T06:46:52', offset: null}],
    ['2012:02:11 14:17:08.253+01:00', {local: '2012-02-11T14:17:08.253', offset: '+01:00'}],
    ['2006:05:26 10:47:24Z', {local: '2006-05-26T10:47:24', offset: '+00:00'}],
    ['2006:10:29', {local: '2006-10-29', offset: null}],
    [2005, {local: '2005', offset: null}],
    ['2024-03-01T14:05:00+0200', {local: '2024-03-01T14:05:00', offset: '+02:00'}],
  ])('parses %s', (input, want) => {
    expect(parseExifDate(input)).toMatchObject(want)
  })

  it.each(['0000:00:00 00:00:00', '2003:13:04 06:46:52', '2003:12:04 25:00:00', '', 'yesterday', '    :  :     :  :  ', 1.5])(
    'refuses %s',
    (input) => {
      expect(parseExifDate(input)).toBeNull()
    },
  )
})
