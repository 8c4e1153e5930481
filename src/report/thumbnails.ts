/**
 * An exhibit's image in the report, inlined as a data: URI (nothing is loaded from anywhere). No
 * image library is a dependency of custody, so there are no scaled-down thumbnails: the original
 * is inlined when it is a JPEG or PNG (by its first bytes, not by what the archive says) no larger
 * than INLINE_LIMIT, and the report says so when it is larger. By default the image is behind a
 * content warning (html-writer.ts, pdf-writer.ts). The bytes come from the model's source
 * (model.ts): the archive's entry, or the case's vault object decrypted in memory, each checked
 * against its SHA-256 as it is read; nothing is written anywhere.
 */
import {formatBytes} from '../render/text.js'
import type {ReportMessages} from './messages/catalog.js'
import type {ExhibitSource} from './model.js'
import type {ExhibitImage, ReportWriter} from './writer.js'

export type Thumbnails = 'shown' | 'hidden' | 'none'
export const THUMBNAIL_CHOICES: readonly Thumbnails[] = ['shown', 'hidden', 'none']
export const INLINE_LIMIT = 2 * 1024 * 1024

/** The image type by the file's first bytes: JPEG (FF D8 FF) or PNG (its 8-byte signature). */
function imageType(bytes: Buffer): 'image/jpeg' | 'image/png' | undefined {
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg'
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png'
  return undefined
}

/** An image exhibit's picture, or why it cannot be shown (`unreadable`: the archive's or the case's words); undefined for an exhibit that is not an image. */
export async function exhibitImage(m: ReportMessages, data: ExhibitSource, stated: Record<string, unknown>, normalised: Record<string, unknown>, unreadable: string): Promise<ExhibitImage | undefined> {
  const mime = typeof normalised.mimeType === 'string' ? normalised.mimeType : ''
  if (!mime.startsWith('image/')) return undefined
  const note = (text: string): ExhibitImage => ({kind: 'note', text})
  const file = data.original(stated)
  if (file === undefined) return note(unreadable)
  if (file.size > INLINE_LIMIT) return note(m.say(m.exhibit.tooLarge, {limit: formatBytes(INLINE_LIMIT)}))
  let bytes: Buffer
  try {
    bytes = await file.read(INLINE_LIMIT)
  } catch {
    return note(unreadable)
  }

  const type = imageType(bytes)
  return type === undefined ? note(m.exhibit.notInlined) : {kind: 'image', bytes, type, alt: typeof stated.originalName === 'string' ? stated.originalName : ''}
}

/** The exhibit's image under its own heading, as --thumbnails asks; nothing for none, or for an exhibit that is not an image. */
export async function imageBlock(w: ReportWriter, m: ReportMessages, image: () => Promise<ExhibitImage | undefined>, thumbnails: Thumbnails): Promise<void> {
  if (thumbnails === 'none') return
  const found = await image()
  if (found === undefined) return
  await w.heading(4, m.exhibit.image)
  await w.image(found, thumbnails)
}
