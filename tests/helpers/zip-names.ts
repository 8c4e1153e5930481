/**
 * Entry names as a forger or another tool writes them, and what each mainstream reader makes of
 * them. ZIPs are written by Python's zipfile with the name's raw bytes, general purpose flags,
 * "version made by" system and Info-ZIP Unicode Path field (0x7075) chosen byte for byte; then
 * Info-ZIP's unzip, Python's zipfile and 7-Zip (Debian's p7zip-full) list them.
 */
import {spawnSync} from 'node:child_process'
import {checker} from './tools.js'

/** One entry: its name's raw bytes, with the flag, system and Unicode Path field wanted. */
export interface RawEntry {
  raw: Buffer
  /** General purpose bit 11 (UTF-8 names); off unless given. */
  utf8Flag?: boolean
  /** "Version made by" system (APPNOTE 4.4.2.2): 3 Unix (the default), 0 MS-DOS. */
  host?: number
  /** An Info-ZIP Unicode Path field: this name, with the raw name's CRC-32 unless `crc` says otherwise, version 1 unless `version`. */
  unicodePath?: {name: Buffer; crc?: number; version?: number}
  data?: Buffer
}

const WRITE = `
import json, struct, sys, zipfile, zlib
class Raw(zipfile.ZipInfo):
    def __init__(self, e):
        self.raw = bytes.fromhex(e['raw'])
        super().__init__(self.raw.decode('latin1'))
        self.create_system = e.get('host', 3)
        self.utf8 = e.get('utf8Flag', False)
        u = e.get('unicodePath')
        if u is not None:
            name = bytes.fromhex(u['name'])
            crc = u['crc'] if u.get('crc') is not None else zlib.crc32(self.raw)
            self.extra = struct.pack('<HHBI', 0x7075, 5 + len(name), u.get('version', 1), crc) + name
    def _encodeFilenameFlags(self):
        return self.raw, (self.flag_bits & ~0x800) | (0x800 if self.utf8 else 0)
spec = json.loads(sys.argv[2])
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    if spec['source']:
        with zipfile.ZipFile(spec['source']) as source:
            for info in source.infolist():
                e = spec['renamed'].get(info.filename)
                z.writestr(info if e is None else Raw(e), source.read(info))
    for e in spec['added']:
        z.writestr(Raw(e), bytes.fromhex(e['data']) if e.get('data') else b'x')
`

const asJson = (e: RawEntry): Record<string, unknown> => ({
  ...e,
  raw: e.raw.toString('hex'),
  ...(e.data ? {data: e.data.toString('hex')} : {}),
  ...(e.unicodePath ? {unicodePath: {...e.unicodePath, name: e.unicodePath.name.toString('hex')}} : {}),
})

function writeZip(path: string, spec: {source: string | null; renamed: Record<string, RawEntry>; added: readonly RawEntry[]}): string {
  const json = {source: spec.source, renamed: Object.fromEntries(Object.entries(spec.renamed).map(([name, e]) => [name, asJson(e)])), added: spec.added.map(asJson)}
  const result = spawnSync('python3', ['-W', 'ignore', '-c', WRITE, path, JSON.stringify(json)], {encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`)
  return path
}

/** Writes a ZIP of these entries at `path`. */
export function rawNameZip(path: string, entries: readonly RawEntry[]): string {
  return writeZip(path, {source: null, renamed: {}, added: entries})
}

/**
 * Copies the ZIP `source` to `path` as Python reads it, giving the entries named in `renamed`
 * (by Python's reading of their names) the raw name, flag, system and Unicode Path field given,
 * and adding the entries `added`.
 */
export function rezipWithNames(source: string, path: string, renamed: Record<string, RawEntry>, added: readonly RawEntry[] = []): string {
  return writeZip(path, {source, renamed, added})
}

/** What each reader lists (folders left out); null where it refuses the ZIP, or (7-Zip) is not installed. */
export interface ReadersSay {
  unzip: string[] | null
  python: string[] | null
  sevenZip: string[] | null
}

const UTF8_LOCALE = {...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8'}

function lines(command: string, args: string[]): string[] | null {
  const result = spawnSync(command, args, {encoding: 'utf8', env: UTF8_LOCALE})
  return result.status === 0 ? result.stdout.split('\n').filter((l) => l !== '') : null
}

/** What the readers list; Python's and 7-Zip's (the slowest to start) only when asked. */
export function readersSay(path: string, readers: {python?: boolean; sevenZip?: boolean} = {}): ReadersSay {
  const unzip = lines('unzip', ['-Z1', path])
  const python = readers.python === false ? null : pythonNames([path])[0]!
  const sevenZip = readers.sevenZip === false || checker('7z') === undefined ? null : lines('7z', ['l', '-ba', '-slt', path])
  return {
    unzip: unzip?.filter((n) => !n.endsWith('/')) ?? null,
    python,
    // -slt lists "Path = ..." and "Folder = +" for folders, an entry a block.
    sevenZip: sevenZip === null ? null : sevenZipFiles(sevenZip),
  }
}

/** Python's zipfile's names of each ZIP's files, in one process; null where it refuses one. */
export function pythonNames(paths: readonly string[]): Array<string[] | null> {
  const script = `
import json, sys, zipfile
out = []
for path in sys.argv[1:]:
    try:
        out.append([n for n in zipfile.ZipFile(path).namelist() if not n.endswith('/')])
    except Exception:
        out.append(None)
print(json.dumps(out))
`
  const result = spawnSync('python3', ['-W', 'ignore', '-c', script, ...paths], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`)
  return JSON.parse(result.stdout) as Array<string[] | null>
}

function sevenZipFiles(output: string[]): string[] {
  const files: string[] = []
  let path: string | undefined
  for (const line of output) {
    if (line.startsWith('Path = ')) path = line.slice(7)
    else if (line === 'Folder = -' && path !== undefined) files.push(path)
  }

  return files
}
