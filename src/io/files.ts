/** Small file-writing helpers shared by the vault and the archive writer. */
import {open, type FileHandle} from 'node:fs/promises'

/** Writes all of `chunk`, at `position` in the file when given (writes may then run in any order). */
export async function writeAll(handle: FileHandle, chunk: Uint8Array, position: number | null = null): Promise<void> {
  let offset = 0
  while (offset < chunk.length) {
    const at = position === null ? null : position + offset
    const {bytesWritten} = await handle.write(chunk, offset, chunk.length - offset, at)
    offset += bytesWritten
  }
}

/** Makes a rename or a new name in `path` durable (POSIX: fsync the folder). */
export async function fsyncFolder(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
