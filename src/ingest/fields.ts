/**
 * What an ingest is given, as its errors name it, in words: commands/ name the flag that gives each
 * field instead (commands/_base.ts).
 */
import {fields} from '../errors.js'

export const INGEST = fields({
  manifest: 'a manifest',
  recursive: 'the recursive option',
  collectedAt: 'the collection time',
  /** Where the whole of a long list is: the output as JSON. */
  json: 'the JSON output',
})
