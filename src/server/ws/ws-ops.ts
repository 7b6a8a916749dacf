// The four client ops of DESIGN §5 as a table: op name → handler returning the answer frame. Each
// checks access first (read for get/getMany, subscribe for subscribe), exactly as the HTTP routes do.
import { type ClientFrame, type ClientOp, LivestateError } from '@livestate/client'
import type { QueryGateway, SubscriptionSelector } from '../../query/query-gateway.ts'
import { assertJobAccess, assertStateName } from '../access.ts'
import type { Scope } from '../auth-tokens.ts'
import type { Principal } from '../auth.ts'
import type { WireFormat } from '../encoding.ts'
import type { ServerLimits } from '../limits.ts'
import { toReadOptions } from '../read-options.ts'
import { requestKey, wireKey } from '../request-keys.ts'
import type { WsSubscriptions } from './ws-subscriptions.ts'

export interface OpContext {
  gateway: QueryGateway
  principal: Principal
  limits: ServerLimits
  subscriptions: WsSubscriptions
  format: WireFormat
  /** Sends the answer of a subscribe before its first change frame. */
  reply(frame: object): void
}

type FrameOf<K extends ClientOp> = Extract<ClientFrame, { op: K }>
/** An op answers with a frame, or undefined when it already replied itself (subscribe). */
type OpHandler<K extends ClientOp> = (ctx: OpContext, frame: FrameOf<K>) => Promise<object | undefined>

function access(ctx: OpContext, job: string, state: string, scope: Scope): void {
  assertJobAccess(ctx.gateway, ctx.principal, job, scope)
  assertStateName(job, state)
}

function readOptions(ctx: OpContext, frame: FrameOf<'get'> | FrameOf<'getMany'>) {
  const { consistency, minCheckpoint, timeout, mapKey, window } = frame
  const options = toReadOptions(ctx.limits.maxWaitMs, { consistency, minCheckpoint, timeout, mapKey, window })
  if (options.mapKey !== undefined) options.mapKey = requestKey(options.mapKey, 'mapKey')
  return options
}

export const OPS: { [K in ClientOp]: OpHandler<K> } = {
  async get(ctx, f) {
    access(ctx, f.job, f.state, 'read')
    const key = wireKey(ctx.gateway, f.job, f.state, f.key, ctx.format)
    const result = await ctx.gateway.get(f.job, f.state, key, readOptions(ctx, f))
    return { id: f.id, ok: true, value: result.value, meta: result.meta }
  },

  async getMany(ctx, f) {
    access(ctx, f.job, f.state, 'read')
    if (f.keys.length > ctx.limits.batchKeys) {
      throw new LivestateError('BAD_REQUEST', `getMany of ${f.keys.length} keys; at most ${ctx.limits.batchKeys}`)
    }
    const keys = f.keys.map((k, i) => wireKey(ctx.gateway, f.job, f.state, k, ctx.format, `keys[${i}]`))
    const result = await ctx.gateway.getMany(f.job, f.state, keys, readOptions(ctx, f))
    return { id: f.id, ok: true, entries: result.entries, meta: result.meta }
  },

  async subscribe(ctx, f) {
    access(ctx, f.job, f.state, 'subscribe')
    let selector: SubscriptionSelector
    if ('keys' in f) {
      if (f.keys.length > ctx.limits.batchKeys) {
        throw new LivestateError('BAD_REQUEST', `subscribe to ${f.keys.length} keys; at most ${ctx.limits.batchKeys}`)
      }
      selector = { keys: f.keys.map((k, i) => wireKey(ctx.gateway, f.job, f.state, k, ctx.format, `keys[${i}]`)) }
    } else if ('prefix' in f) selector = { prefix: f.prefix }
    else selector = { all: true }
    ctx.subscriptions.open(f.job, f.state, selector, ctx.format, (sub) => ctx.reply({ id: f.id, ok: true, sub }))
    return undefined
  },

  async unsubscribe(ctx, f) {
    if (!ctx.subscriptions.close(f.sub))
      throw new LivestateError('BAD_REQUEST', `no open subscription ${JSON.stringify(f.sub.slice(0, 64))}`)
    return { id: f.id, ok: true }
  },
}
