// The seeded word stream shared by the word-count tests and the CLI fixture job: a skewed
// vocabulary (some words frequent, many rare) so that every subtask sees several keys.
import { seededRandom } from './seeded-random.ts'

export const WORD_SEED = 7

export function seededWords(count: number, seed = WORD_SEED): string[] {
  const random = seededRandom(seed)
  const vocabulary = Array.from({ length: 40 }, (_, i) => `w${i.toString(36)}${'x'.repeat(i % 3)}`)
  const words: string[] = []
  for (let i = 0; i < count; i++) {
    // squaring skews the distribution towards the first words
    const r = random()
    words.push(vocabulary[Math.floor(r * r * vocabulary.length)]!)
  }
  return words
}

/** Oracle: occurrences per word, by a plain loop. */
export function countWords(words: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1)
  return counts
}
