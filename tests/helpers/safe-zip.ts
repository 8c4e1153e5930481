/** custody's own ZIP reader, as the tests of names and structures use it. */
import {SafeZip} from '../../src/zip/reader.js'

/**
 * Opens the ZIP with custody's reader and hands it to `read`; a ZIP it refuses, when opened or
 * read, gives the error's message. The reader is closed either way.
 */
export async function withSafeZip<T>(path: string, read: (zip: SafeZip) => Promise<T>): Promise<T | {error: string}> {
  const zip = await SafeZip.open(path).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))
  if (zip instanceof Error) return {error: zip.message}
  try {
    return await read(zip)
  } catch (error) {
    return {error: (error as Error).message}
  } finally {
    zip.close()
  }
}
