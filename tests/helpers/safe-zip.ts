/** custody's own ZIP reader, as the tests of names and structures use it. */
import type {RandomAccess} from '../../src/io/random-access.js'
import {SafeZip} from '../../src/zip/reader.js'

/**
 * Opens the ZIP with custody's reader and hands it to `read`; a ZIP it refuses, when opened or
 * read, gives the error's message. The reader is closed either way. Read through `source` when one is given.
 */
export async function withSafeZip<T>(path: string, source: RandomAccess | undefined, read: (zip: SafeZip) => Promise<T>): Promise<T | {error: string}> {
  const zip = await SafeZip.open(path, source).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))
  if (zip instanceof Error) return {error: zip.message}
  try {
    return await read(zip)
  } catch (error) {
    return {error: (error as Error).message}
  } finally {
    zip.close()
  }
}
