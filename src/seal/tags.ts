/**
 * Step 6 of a seal: the tag files of the bag (RFC 8493 §2.1.1, §2.1.3, §2.2.1, §2.2.2), after the
 * payload, each with its entry in both tag manifests, which come last.
 */
import {CustodyError} from '../errors.js'
import type {SpillFile} from '../io/spill-file.js'
import {BAGIT_TXT} from './bagit.js'
import {BAG_INFO_PATH, BAGIT_PATH, CHECKER_PATH, README_PATH, TAG_MANIFESTS, manifest, manifestEntryOf, sealBagInfo, type BagInfoSource, type ManifestEntry} from './bag-layout.js'
import {checkerScript} from './checker.js'
import {EntryWriter} from './entry-writer.js'
import type {ZipWriter} from '../zip/writer.js'

export interface Tags {
  statement: BagInfoSource
  /** The payload's size in bytes and files, for the Payload-Oxum. */
  payload: {bytes: number; count: number}
  /** The custody files' manifest entries, the exhibits' lines being in `manifests`. */
  custody: readonly ManifestEntry[]
  manifests: {sha256: SpillFile; sha512: SpillFile}
  readme: Buffer
}

/** Writes bagit.txt, bag-info.txt, both payload manifests, README.txt, verify-bag.py and both tag manifests. */
export async function writeTags(zip: ZipWriter, bag: string, tags: Tags): Promise<void> {
  const entries: ManifestEntry[] = []
  const add = async (path: string, bytes: Buffer): Promise<void> => {
    await zip.addBytes(`${bag}/${path}`, bytes)
    entries.push(manifestEntryOf(path, bytes))
  }

  await add(BAGIT_PATH, Buffer.from(BAGIT_TXT))
  await add(BAG_INFO_PATH, Buffer.from(sealBagInfo(tags.statement, tags.payload)))
  entries.push(await writeManifest(zip, bag, 'sha256', tags.custody, tags.manifests.sha256))
  entries.push(await writeManifest(zip, bag, 'sha512', tags.custody, tags.manifests.sha512))
  await add(README_PATH, tags.readme)
  await add(CHECKER_PATH, checkerScript())
  const [tag256, tag512] = TAG_MANIFESTS
  await zip.addBytes(`${bag}/${tag256}`, Buffer.from(manifest(entries, 'sha256')))
  await zip.addBytes(`${bag}/${tag512}`, Buffer.from(manifest(entries, 'sha512')))
}

/**
 * A payload manifest: the custody files' lines, then the exhibits' lines from their scratch file
 * (all of data/custody/ sorts before data/exhibits/). Returns its entry, for the tag manifests.
 */
async function writeManifest(zip: ZipWriter, bag: string, algorithm: 'sha256' | 'sha512', custody: readonly ManifestEntry[], exhibits: SpillFile): Promise<ManifestEntry> {
  const name = `manifest-${algorithm}.txt`
  const head = manifest(custody, algorithm)
  const changed = (): CustodyError => new CustodyError('INTEGRITY', `the scratch file ${exhibits.path} changed while sealing; nothing was sealed`)
  const out = await EntryWriter.start(zip, `${bag}/${name}`, Buffer.byteLength(head) + exhibits.size, changed, {sha512: true})
  await out.write(head)
  for await (const chunk of exhibits.chunks()) await out.write(chunk)
  return {path: name, ...(await out.end())}
}
