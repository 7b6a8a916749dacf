// The in-thread shuffle environment (Flink's NettyShuffleEnvironment, local case): one LocalChannel
// per (edge, upstream subtask, downstream subtask), created on first use by either side.
import { LocalChannel } from '../runtime/channel.ts'

export const CHANNEL_CAPACITY = 4

export class LocalShuffleEnvironment {
  private readonly channels = new Map<string, LocalChannel>()

  channel(
    jobId: string,
    attempt: number,
    edgeId: string,
    upstream: number,
    downstream: number,
    inputIndex: 0 | 1,
  ): LocalChannel {
    const id = `${jobId}/${attempt}/${edgeId}/${upstream}->${downstream}`
    let c = this.channels.get(id)
    if (!c) {
      c = new LocalChannel(0, inputIndex, CHANNEL_CAPACITY)
      this.channels.set(id, c)
    }
    return c
  }

  releaseJob(jobId: string): void {
    for (const id of this.channels.keys()) if (id.startsWith(`${jobId}/`)) this.channels.delete(id)
  }
}
