// Namespaces inside a stored key (Flink's VoidNamespace and TimeWindow namespaces), length-prefixed so
// that stored keys stay self-delimiting: [len: 1 byte][bytes]. Binary strings, one char per byte.
import type { TimeWindow } from '../api/windows.ts'

export const VOID_NAMESPACE = '\x00'

const view = new DataView(new ArrayBuffer(8))

function float64Chars(n: number): string {
  view.setFloat64(0, n)
  let s = ''
  for (let i = 0; i < 8; i++) s += String.fromCharCode(view.getUint8(i))
  return s
}

function charsFloat64(s: string, at: number): number {
  for (let i = 0; i < 8; i++) view.setUint8(i, s.charCodeAt(at + i))
  return view.getFloat64(0)
}

export function windowNamespace(w: TimeWindow): string {
  return '\x10' + float64Chars(w.start) + float64Chars(w.end)
}

export function parseWindowNamespace(ns: string, at = 0): TimeWindow {
  if (ns.charCodeAt(at) !== 16) throw new TypeError('not a window namespace')
  return { start: charsFloat64(ns, at + 1), end: charsFloat64(ns, at + 9) }
}

/** Length of the namespace starting at `at` (including its length byte). */
export function namespaceLength(s: string, at: number): number {
  return 1 + s.charCodeAt(at)
}

export function keyGroupChars(keyGroup: number): string {
  return String.fromCharCode(keyGroup >>> 8, keyGroup & 0xff)
}

export function keyGroupOfPrimary(primary: string): number {
  return (primary.charCodeAt(0) << 8) | primary.charCodeAt(1)
}
