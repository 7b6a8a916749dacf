// WebSocket frames on the wire (DESIGN §5): text frames are JSON, binary frames msgpack (decoded only
// with decodeUntrustedMsgpack); the server answers in the kind it received. A frame that cannot be
// decoded or validated yields the error to answer with, and its `id` when one could be read.
import {
  type ClientFrame,
  LivestateError,
  decodeUntrustedMsgpack,
  encodeMsgpack,
  parseClientFrame,
} from '@livestate/client'
import type { WireFormat } from '../encoding.ts'
import { parseUntrustedJson, stringifyJson } from '../json-codec.ts'
import type { Payload } from './outbound-queue.ts'

export type DecodedFrame =
  | { format: WireFormat; frame: ClientFrame }
  | { format: WireFormat; error: LivestateError; id: number | undefined }

export interface FrameLimits {
  maxBytes: number
  maxDepth: number
}

/** What `ws` hands over: a string for text frames, bytes for binary ones. */
export type RawFrame = string | ArrayBuffer | Uint8Array

function idOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const id = (value as { id?: unknown }).id
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined
}

export function decodeClientFrame(data: RawFrame, limits: FrameLimits): DecodedFrame {
  const format: WireFormat = typeof data === 'string' ? 'json' : 'msgpack'
  let value: unknown
  try {
    if (typeof data === 'string') {
      value = parseUntrustedJson(data, limits.maxDepth, 'JSON frame')
    } else {
      const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
      value = decodeUntrustedMsgpack(bytes, {
        maxBytes: limits.maxBytes,
        maxDepth: limits.maxDepth,
        maxLength: limits.maxBytes,
      })
    }
  } catch (e) {
    const error = e instanceof LivestateError ? e : new LivestateError('BAD_REQUEST', 'undecodable frame', { cause: e })
    return { format, error, id: undefined }
  }
  try {
    return { format, frame: parseClientFrame(value) }
  } catch (e) {
    const error = e instanceof LivestateError ? e : new LivestateError('BAD_REQUEST', 'invalid frame', { cause: e })
    return { format, error, id: idOf(value) }
  }
}

export function encodeServerFrame(frame: unknown, format: WireFormat): Payload {
  return format === 'json' ? stringifyJson(frame) : encodeMsgpack(frame)
}
