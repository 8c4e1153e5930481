/**
 * An exhibit's image in the report, inlined as a data: URI (nothing is loaded from anywhere). No
 * image library is a dependency of custody, so there are no scaled-down thumbnails: the original
 * is inlined when it is a JPEG or PNG (by its first bytes, not by what the archive says) no larger
 * than INLINE_LIMIT, and the report says so when it is larger. By default the image is behind a
 * content warning the reader opens (a <details> element: no script needed).
 */
import {isRecord} from '../formats/guards.js'
import {formatBytes} from '../render/text.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import {escapeHtml} from './html.js'
import type {ReportMessages} from './messages/catalog.js'

export type Thumbnails = 'shown' | 'hidden' | 'none'
export const THUMBNAIL_CHOICES: readonly Thumbnails[] = ['shown', 'hidden', 'none']
export const INLINE_LIMIT = 2 * 1024 * 1024

/** The image type by the file's first bytes: JPEG (FF D8 FF) or PNG (its 8-byte signature). */
function imageType(bytes: Buffer): string | undefined {
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg'
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png'
  return undefined
}

export async function imageBlock(m: ReportMessages, context: ArchiveContext, stated: Record<string, unknown>, normalised: Record<string, unknown>, thumbnails: Thumbnails): Promise<string> {
  const mime = typeof normalised.mimeType === 'string' ? normalised.mimeType : ''
  if (thumbnails === 'none' || !mime.startsWith('image/')) return ''
  const paragraph = (text: string): string => `<h4>${escapeHtml(m.exhibit.image)}</h4>\n<p>${escapeHtml(text)}</p>\n`
  const file = context.files.get(String(stated.path))
  if (file === undefined) return paragraph(m.exhibit.unreadable)
  if (file.size > INLINE_LIMIT) return paragraph(m.say(m.exhibit.tooLarge, {limit: formatBytes(INLINE_LIMIT)}))
  let bytes: Buffer
  try {
    bytes = await context.source.readSmall(file.info, INLINE_LIMIT, file.sha256)
  } catch {
    return paragraph(m.exhibit.unreadable)
  }

  const type = imageType(bytes)
  if (type === undefined) return paragraph(m.exhibit.notInlined)
  const img = `<img class="thumb" alt="${escapeHtml(isRecord(stated) ? stated.originalName : '')}" src="data:${type};base64,${bytes.toString('base64')}">`
  if (thumbnails === 'shown') return `<h4>${escapeHtml(m.exhibit.image)}</h4>\n<p>${img}</p>\n`
  return `<h4>${escapeHtml(m.exhibit.image)}</h4>\n<details class="content-warning"><summary>${escapeHtml(m.exhibit.warning)}</summary>\n<p>${img}</p>\n</details>\n`
}
