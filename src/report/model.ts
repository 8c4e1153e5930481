/**
 * What the report's sections (front.ts, exhibits.ts, back.ts) are written from, whatever was
 * verified: a sealed archive (archive-model.ts) or a local case (case-model.ts). Each maker fills
 * it from its own verifier's result and its own data, so that the sections are written once, and
 * the words that must differ (an archive is sealed, a case is not) are chosen by the maker.
 */
import type {CustodyEvent} from '../formats/events.js'
import type {ArchiveHandOver} from '../verify/archive/context.js'
import type {CheckStatus, Problem} from '../verify/checklist.js'
import type {ReportVerdict} from './verdict.js'

/** An exhibit as the report shows it: the fields a seal statement gives it (exhibit, originalName, size, sha256, ...). */
export interface StatedExhibit {
  ord: number
  stated: Record<string, unknown>
}

/** One event of an exhibit: its ledger position and the event. */
export interface ExhibitEvent {
  seq: number
  event: Record<string, unknown>
}

/** An exhibit's original as the report may inline it: its size, and its bytes checked against its SHA-256. */
export interface OriginalFile {
  size: number
  read(limit: number): Promise<Buffer>
}

/** The exhibits and their events, given a page at a time (a report of 10,000 exhibits holds none whole). */
export interface ExhibitSource {
  exhibits(): Iterable<StatedExhibit>
  events(exhibit: string): Iterable<ExhibitEvent>
  /** The exhibit's first ingest event: what was recorded when it was taken in. */
  ingest(exhibit: string): Record<string, unknown> | undefined
  /** The exhibit's original, for its image; undefined when it is not there to read. */
  original(stated: Record<string, unknown>): OriginalFile | undefined
}

/** Who signed, and the trusted times, as far as the verifier found them to hold. */
export interface ReportTrust {
  /** The label of the holder's name: where it is stated (the archive, the ledger). */
  nameLabel: string
  holder: string | null
  signingKey: string | null
  /** What the report says of whose key it is (pinned with --key, named by the archive, the case's own). */
  signerNote: string
  timestamps: ReadonlyArray<{tsa: string; genTime: string; treeSize: number}>
  /** Where the TSA roots the tokens were checked against came from, in words. */
  rootsNote: string
}

/** The verification as the report states it. */
export interface ReportVerification {
  /** The sentence before the checks: what was checked, with which command. */
  intro: string
  checks: ReadonlyArray<{name: string; status: CheckStatus; detail: string}>
  problems: readonly Problem[]
  problemCount: number
  warnings: readonly string[]
  trust: ReportTrust | null
  notChecked: readonly string[]
  /** The hand-overs between custodians before the seal that the verifier proved (a seal of received exhibits); none for a case. */
  handOvers: ReadonlyArray<ArchiveHandOver>
}

/** The wording that differs between an archive and a case. */
export interface ReportWords {
  noExhibits: string
  testimonyIntro: string
  noTestimony: string
  imageUnreadable: string
}

export interface ReportModel {
  title: string
  /** The cover's facts, in order, after the verdict. */
  cover: ReadonlyArray<readonly [string, unknown]>
  verdict: ReportVerdict
  verification: ReportVerification
  /** What could not be read again after the checks (the report lists it). */
  unread: readonly string[]
  data: ExhibitSource
  /** What covers an event: a verified signature, verified timestamps. */
  coverage(seq: number): string
  /** The testimonies, by witness code (as a seal statement gives them), and their testimony and consent-changed events. */
  testimony: {given: ReadonlyArray<Record<string, unknown>>; events: readonly CustodyEvent[]}
  /** How to check it with standard tools: paragraphs, then the commands; undefined when they cannot be made. */
  howToCheck: {paragraphs: readonly string[]; steps: string} | undefined
  words: ReportWords
}
