/**
 * The normalised fields of a metadata record: what a court asks first (when, where, with what).
 *
 * Each value names the tag it came from. Where ExifTool offers one tag under several groups, the
 * camera's own EXIF comes first, then maker notes and other embedded blocks, then XMP (which
 * software may have rewritten). Nothing is inferred that the file does not state: a capture time
 * gets a time-zone offset only when the file records one for that same moment.
 */
import type {JsonValue} from '../canonical/jcs.js'

export interface CaptureTime {
  /** ISO 8601 local time as precise as the file states it: `2012-02-11T14:17:08.253`, `2006-10-29`, `2005`. */
  local: string
  /** `+01:00`, or null when the file records no offset for this time. */
  offset: string | null
  /** The instant in UTC, when the offset is known and the time complete to the second. */
  utc: string | null
  source: string
  offsetSource: string | null
}

export interface NormalisedMetadata {
  mimeType: string | null
  fileType: string | null
  captureTime: CaptureTime | null
  gps: {latitude: number; longitude: number; altitude: number | null; source: string} | null
  device: {make: string | null; model: string | null; serialNumber: string | null}
  software: string | null
  image: {width: number; height: number} | null
  /** For device and software fields: the tag each value came from. */
  sources: {[field: string]: string}
}

interface Tag {
  key: string
  family0: string
  name: string
  value: JsonValue
}

function parseTags(tags: {[key: string]: JsonValue}): Tag[] {
  return Object.entries(tags).map(([key, value]) => {
    const parts = key.split(':')
    return {key, family0: parts.length > 1 ? parts[0]! : '', name: parts.at(-1)!, value}
  })
}

const SECONDARY_GROUPS = new Set(['XMP', 'IPTC', 'Photoshop', 'Composite', 'File', 'ExifTool'])

/** EXIF first, then maker notes and other embedded blocks, then XMP/IPTC, then ExifTool's composites. */
function groupRank(family0: string): number {
  if (family0 === 'EXIF') return 0
  if (!SECONDARY_GROUPS.has(family0)) return 1
  if (family0 === 'Composite') return 3
  return 2
}

function byPreference(tags: Tag[], names: readonly string[]): Tag[] {
  const matching = tags.filter((tag) => names.includes(tag.name))
  // Stable sort keeps ExifTool's own order within a rank.
  return matching.sort((a, b) => names.indexOf(a.name) - names.indexOf(b.name) || groupRank(a.family0) - groupRank(b.family0))
}

function text(value: JsonValue): string | null {
  if (typeof value === 'number') return String(value)
  if (typeof value !== 'string') return null
  const trimmed = value.trim()
  return trimmed === '' || trimmed === 'undef' ? null : trimmed
}

function firstText(tags: Tag[], names: readonly string[], sources: {[field: string]: string}, field: string): string | null {
  for (const tag of byPreference(tags, names)) {
    const value = text(tag.value)
    if (value !== null) {
      sources[field] = tag.key
      return value
    }
  }

  return null
}

function finiteNumber(value: JsonValue): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value)
  return null
}

// --- Dates -----------------------------------------------------------------------------------

interface ParsedDate {
  local: string
  offset: string | null
  /** Local time to the second, to match the same moment across tags. */
  secondKey: string | null
  complete: boolean
}

const DATE_PATTERN =
  /^(\d{4})(?:[:-](\d{2})(?:[:-](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/

/** Parses ExifTool's date forms (`YYYY:MM:DD HH:MM:SS[.fff][±HH:MM]`, partial dates, bare years). */
export function parseExifDate(value: JsonValue): ParsedDate | null {
  const raw = typeof value === 'number' && Number.isInteger(value) ? String(value) : value
  if (typeof raw !== 'string') return null
  const match = DATE_PATTERN.exec(raw.trim())
  if (!match) return null
  const [, year, month, day, hour, minute, second, fraction, zone] = match
  if (Number(year) === 0) return null
  if (month !== undefined && (Number(month) < 1 || Number(month) > 12)) return null
  if (day !== undefined && (Number(day) < 1 || Number(day) > 31)) return null
  if (hour !== undefined && (Number(hour) > 23 || Number(minute) > 59 || Number(second ?? 0) > 60)) return null
  let local = year!
  if (month !== undefined) local += `-${month}`
  if (day !== undefined) local += `-${day}`
  if (hour !== undefined) local += `T${hour}:${minute}${second === undefined ? '' : `:${second}`}${fraction ?? ''}`
  let offset: string | null = null
  if (zone !== undefined) {
    offset = zone === 'Z' ? '+00:00' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`
    if (Number(offset.slice(1, 3)) > 18 || Number(offset.slice(4, 6)) > 59) offset = null
  }

  const complete = second !== undefined
  const secondKey = complete ? `${year}-${month}-${day}T${hour}:${minute}:${second}` : null
  return {local, offset, secondKey, complete}
}

/**
 * An ISO 8601 date or time as a person gives it (`--collected-at`, a manifest's collected_at):
 * year first, and a day that exists in its month (2024-02-30 does not). Null when it is not one.
 */
export function parseGivenDate(value: string): ParsedDate | null {
  const trimmed = value.trim()
  const parsed = /^\d{4}-/.test(trimmed) ? parseExifDate(trimmed) : null
  if (parsed === null) return null
  const [year, month, day] = parsed.local.slice(0, 10).split('-').map(Number)
  if (month !== undefined && day !== undefined) {
    const date = new Date(Date.UTC(year!, month - 1, day))
    if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null
  }

  return parsed
}

function toUtc(local: string, offset: string): string | null {
  const instant = new Date(`${local}${offset}`)
  return Number.isNaN(instant.getTime()) ? null : instant.toISOString()
}

/** In order of preference: the moment the picture or recording was taken, then creation times. */
const CAPTURE_TAGS = ['SubSecDateTimeOriginal', 'DateTimeOriginal', 'DateTimeCreated', 'CreateDate', 'DateCreated'] as const

function captureTimeOf(tags: Tag[], allTags: Tag[]): CaptureTime | null {
  const candidates = byPreference(tags, CAPTURE_TAGS)
  for (const tag of candidates) {
    const parsed = parseExifDate(tag.value)
    if (!parsed) continue
    let {local, offset} = parsed
    let offsetSource: string | null = offset === null ? null : tag.key
    if (offset === null && parsed.secondKey !== null) {
      // EXIF 2.31 keeps the offset apart, in OffsetTimeOriginal (or OffsetTime for CreateDate).
      const offsetTag = allTags.find(
        (t) => t.family0 === tag.family0 && t.name === (tag.name === 'CreateDate' ? 'OffsetTimeDigitized' : 'OffsetTimeOriginal'),
      )
      const fromOffsetTag = offsetTag === undefined ? null : parseExifDate(`2000:01:01 00:00:00${String(offsetTag.value).trim()}`)
      if (offsetTag && fromOffsetTag?.offset) {
        offset = fromOffsetTag.offset
        offsetSource = offsetTag.key
      } else {
        // Another tag that states this same moment, to the second, with an offset.
        for (const other of candidates) {
          const same = other === tag ? null : parseExifDate(other.value)
          if (same?.offset && same.secondKey === parsed.secondKey) {
            offset = same.offset
            offsetSource = other.key
            if (same.local.length > local.length) local = same.local
            break
          }
        }
      }
    }

    const utc = offset !== null && parsed.complete ? toUtc(local, offset) : null
    return {local, offset, utc, source: tag.key, offsetSource}
  }

  return null
}

// --- GPS -------------------------------------------------------------------------------------

function signedByRef(value: number, ref: JsonValue | undefined, negative: string): number {
  return typeof ref === 'string' && ref.trim().toUpperCase().startsWith(negative) ? -Math.abs(value) : value
}

function gpsOf(tags: Tag[]): NormalisedMetadata['gps'] {
  const find = (key: string): JsonValue | undefined => tags.find((t) => t.key === key)?.value
  const valid = (lat: number | null, lon: number | null): lat is number =>
    lat !== null && lon !== null && Math.abs(lat) <= 90 && Math.abs(lon) <= 180

  // ExifTool's composites already carry the sign of the N/S, E/W and above/below references.
  let latitude = finiteNumber(find('Composite:GPSLatitude') ?? null)
  let longitude = finiteNumber(find('Composite:GPSLongitude') ?? null)
  let altitude = finiteNumber(find('Composite:GPSAltitude') ?? null)
  if (valid(latitude, longitude)) return {latitude, longitude: longitude!, altitude, source: 'Composite:GPSLatitude'}

  const lat = finiteNumber(find('EXIF:GPS:GPSLatitude') ?? null)
  const lon = finiteNumber(find('EXIF:GPS:GPSLongitude') ?? null)
  if (lat !== null && lon !== null) {
    latitude = signedByRef(lat, find('EXIF:GPS:GPSLatitudeRef'), 'S')
    longitude = signedByRef(lon, find('EXIF:GPS:GPSLongitudeRef'), 'W')
    const alt = finiteNumber(find('EXIF:GPS:GPSAltitude') ?? null)
    altitude = alt === null ? null : find('EXIF:GPS:GPSAltitudeRef') === 1 ? -alt : alt
    if (valid(latitude, longitude)) return {latitude, longitude: longitude!, altitude, source: 'EXIF:GPS:GPSLatitude'}
  }

  for (const tag of tags) {
    if (tag.family0 === 'XMP' && tag.name === 'GPSLatitude') {
      const xmpLon = tags.find((t) => t.family0 === 'XMP' && t.name === 'GPSLongitude')
      latitude = finiteNumber(tag.value)
      longitude = xmpLon === undefined ? null : finiteNumber(xmpLon.value)
      const xmpAlt = tags.find((t) => t.family0 === 'XMP' && t.name === 'GPSAltitude')
      if (valid(latitude, longitude)) {
        return {latitude, longitude: longitude!, altitude: xmpAlt ? finiteNumber(xmpAlt.value) : null, source: tag.key}
      }
    }

    // QuickTime and other video containers: "lat lon [alt]".
    if (tag.name === 'GPSCoordinates' && typeof tag.value === 'string') {
      const [a, b, c] = tag.value.trim().split(/[\s,]+/).map(Number)
      if (a !== undefined && b !== undefined && valid(a, b)) {
        return {latitude: a, longitude: b, altitude: c !== undefined && Number.isFinite(c) ? c : null, source: tag.key}
      }
    }
  }

  return null
}

// --- Everything ------------------------------------------------------------------------------

function imageOf(tags: Tag[]): NormalisedMetadata['image'] {
  const size = tags.find((t) => t.key === 'Composite:ImageSize')?.value
  const match = typeof size === 'string' ? /^(\d+)[ x](\d+)$/.exec(size.trim()) : null
  if (match) return {width: Number(match[1]), height: Number(match[2])}
  const width = finiteNumber(tags.find((t) => t.key === 'File:ImageWidth')?.value ?? null)
  const height = finiteNumber(tags.find((t) => t.key === 'File:ImageHeight')?.value ?? null)
  return width !== null && height !== null ? {width, height} : null
}

export function normaliseMetadata(record: {[key: string]: JsonValue}): NormalisedMetadata {
  const tags = parseTags(record)
  const sources: {[field: string]: string} = {}
  const fileTag = (name: string): string | null => text(tags.find((t) => t.key === `File:${name}`)?.value ?? null)
  return {
    mimeType: fileTag('MIMEType'),
    fileType: fileTag('FileType'),
    captureTime: captureTimeOf(tags, tags),
    gps: gpsOf(tags),
    device: {
      make: firstText(tags, ['Make'], sources, 'make'),
      model: firstText(tags, ['Model'], sources, 'model'),
      // EXIF's SerialNumber is the body serial (tag 0xa431); maker notes carry it under the same name.
      serialNumber: firstText(tags, ['SerialNumber', 'CameraSerialNumber', 'BodySerialNumber'], sources, 'serialNumber'),
    },
    software: firstText(tags, ['Software'], sources, 'software'),
    image: imageOf(tags),
    sources,
  }
}
