// Maps classic-level / LevelDB failures to StorageError codes, keeping the original as `cause`.
// Errors that are not LevelDB's (TypeErrors from bad arguments) pass through unchanged.

import { StorageError } from '../storage-error.ts'

interface LevelFailure {
  code?: unknown
  message?: unknown
  cause?: unknown
}

function levelCode(err: unknown): string | undefined {
  const code = (err as LevelFailure | null)?.code
  return typeof code === 'string' && code.startsWith('LEVEL_') ? code : undefined
}

function messageOf(err: unknown): string {
  const message = (err as LevelFailure | null)?.message
  return typeof message === 'string' ? message : String(err)
}

export function lockedError(location: string, cause: unknown): StorageError {
  return new StorageError(
    'STORE_LOCKED',
    `The state directory ${location} is locked by another process (or another open store in this one). ` +
      'Stop the other livestate, or pick another --state-dir.',
    { cause },
  )
}

/** Classifies a failure of opening the database at `location`. */
export function toOpenError(err: unknown, location: string): unknown {
  // abstract-level reports open failures as LEVEL_DATABASE_NOT_OPEN with the reason as `cause`.
  const reason =
    levelCode(err) === 'LEVEL_DATABASE_NOT_OPEN' && (err as LevelFailure).cause ? (err as LevelFailure).cause : err
  const code = levelCode(reason)
  if (code === 'LEVEL_LOCKED') return lockedError(location, err)
  if (code === undefined && levelCode(err) === undefined) return err
  const detail = messageOf(reason)
  if (code === 'LEVEL_CORRUPTION') {
    return new StorageError('STORE_CORRUPTION', `The state directory ${location} is corrupt: ${detail}`, { cause: err })
  }
  if (code === 'LEVEL_IO_ERROR') {
    return new StorageError('STORE_IO_ERROR', `Could not open the state directory ${location}: ${detail}`, {
      cause: err,
    })
  }
  return new StorageError('STORE_NOT_OPEN', `Could not open the state directory ${location}: ${detail}`, { cause: err })
}

/** Classifies a failure of an operation on an open (or just closed) database. */
export function toOperationError(err: unknown, location: string, isClosed: boolean): unknown {
  const code = levelCode(err)
  if (code === undefined) return err
  const detail = messageOf(err)
  switch (code) {
    case 'LEVEL_DATABASE_NOT_OPEN':
    case 'LEVEL_ITERATOR_NOT_OPEN':
    case 'LEVEL_SNAPSHOT_NOT_OPEN':
    case 'LEVEL_BATCH_NOT_OPEN':
      return isClosed
        ? new StorageError('STORE_CLOSED', `The store at ${location} is closed`, { cause: err })
        : new StorageError('STORE_NOT_OPEN', `The store at ${location} is not open: ${detail}`, { cause: err })
    case 'LEVEL_CORRUPTION':
      return new StorageError('STORE_CORRUPTION', `Corrupt data in ${location}: ${detail}`, { cause: err })
    case 'LEVEL_LOCKED':
      return lockedError(location, err)
    default:
      return new StorageError('STORE_IO_ERROR', `LevelDB failed in ${location}: ${detail}`, { cause: err })
  }
}
