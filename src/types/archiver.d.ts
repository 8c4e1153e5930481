// The part of archiver 8 that custody uses (the package ships no type declarations).
declare module 'archiver' {
  import type {Readable} from 'node:stream'

  interface EntryData {
    name: string
    date?: Date
    mode?: number
    store?: boolean
  }

  interface ZipOptions {
    store?: boolean
    forceZip64?: boolean
    comment?: string
  }

  export class ZipArchive extends Readable {
    constructor(options?: ZipOptions)
    append(source: Buffer | Readable, data: EntryData): this
    finalize(): Promise<void>
    abort(): this
    pointer(): number
    on(event: 'entry', listener: (entry: EntryData) => void): this
    on(event: 'warning' | 'error', listener: (error: Error) => void): this
    on(event: string, listener: (...args: unknown[]) => void): this
  }
}
