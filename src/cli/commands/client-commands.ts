// Client-side commands that talk to a running livestate over its HTTP/WebSocket API: query,
// subscribe, ingest. They use the same wire protocol as @livestate/client.
import type { Command } from 'commander'

export function addClientCommands(_program: Command): void {}
