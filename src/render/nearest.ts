/**
 * What was typed, matched to the nearest of the words it could have meant: a mistyped command
 * (hooks/command-not-found.ts) or flag (commands/_parse-errors.ts) is answered with a suggestion.
 */

/**
 * Insertions, deletions, substitutions and swaps of two neighbouring characters (the commonest
 * typing slip, `ingset`) needed to turn one string into the other: the optimal string alignment
 * distance, row by row.
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = []
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let distance = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, before[j - 2]! + 1)
      current.push(distance)
    }

    before = previous
    previous = current
  }

  return previous[b.length]!
}

/**
 * The candidate fewest edits from `typed`, when at most `allowed` edits away (a typing slip, not
 * another word); the first such when several are as near.
 */
export function nearest(typed: string, candidates: Iterable<string>, allowed: number): string | undefined {
  let best: {word: string; distance: number} | undefined
  for (const word of candidates) {
    const distance = editDistance(typed, word)
    if (best === undefined || distance < best.distance) best = {word, distance}
  }

  return best !== undefined && best.distance <= allowed ? best.word : undefined
}
