/**
 * Exhibit IDs: the case's prefix, a hyphen and the exhibit's number padded to six digits
 * (EX-000001). Numbers go on past 999999 with more digits.
 */

export function formatExhibitId(prefix: string, n: number): string {
  return `${prefix}-${String(n).padStart(6, '0')}`
}

/**
 * The exhibit ID meant by what a user typed (`EX-000007`, `ex-7`, `7`), for a case with this
 * prefix, or undefined when it is not one.
 */
export function parseExhibitId(prefix: string, given: string): string | undefined {
  const match = /^(?:([A-Za-z][A-Za-z0-9]*)-)?(\d{1,9})$/.exec(given.trim())
  if (!match || (match[1] !== undefined && match[1].toUpperCase() !== prefix)) return undefined
  return formatExhibitId(prefix, Number(match[2]))
}
