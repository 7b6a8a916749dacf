// The one error type of storage/: a stable uppercase `code` callers branch on (messages may change)
// and the original failure as `cause`. Programmer mistakes (bad arguments) throw TypeError instead.

export type StorageErrorCode =
  /** Another process (or another open in this one) holds the LevelDB LOCK. Do not retry in a loop. */
  | 'STORE_LOCKED'
  /** The file system failed (disk full, permissions, missing files). */
  | 'STORE_IO_ERROR'
  /** LevelDB found corrupt data; the working DB must be rebuilt from a checkpoint. */
  | 'STORE_CORRUPTION'
  /** The store could not be opened for another reason (missing with createIfMissing false, …). */
  | 'STORE_NOT_OPEN'
  /** The store, sublevel view or snapshot was closed. */
  | 'STORE_CLOSED'
  /** The memory budget cannot give every slot its minimum (see memory-budget.ts). */
  | 'MEMORY_BUDGET_TOO_SMALL'

export class StorageError extends Error {
  override readonly name = 'StorageError'
  readonly code: StorageErrorCode

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code)
}

/** The error of any operation on a closed store, sublevel view or snapshot. */
export function closedError(subject: string): StorageError {
  return new StorageError('STORE_CLOSED', `${subject} is closed`)
}
