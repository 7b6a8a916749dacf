// The `--auth-tokens FILE` format of DESIGN §3: bearer tokens, each with scopes and the jobs it may
// touch. Validated with zod; a bad file fails with one line naming the file, the field and the fix.
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { NAME_PATTERN } from './names.ts'

export const SCOPES = ['read', 'subscribe', 'ingest', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

// Tokens travel in an HTTP header and a query parameter: printable ASCII without spaces only, so
// what the file says is exactly what a client can send.
const tokenSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')

const entrySchema = z
  .object({
    token: tokenSchema,
    scopes: z.array(z.enum(SCOPES)).min(1, 'must name at least one of read, subscribe, ingest, admin'),
    jobs: z.union([z.literal('*'), z.array(z.string().regex(NAME_PATTERN, 'must be a job name'))]),
    /** Optional label for logs; never the token itself. */
    name: z.string().max(200).optional(),
  })
  .strict()

const fileSchema = z
  .object({ tokens: z.array(entrySchema) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>()
    file.tokens.forEach((entry, i) => {
      if (seen.has(entry.token))
        ctx.addIssue({ code: 'custom', path: ['tokens', i, 'token'], message: 'duplicates an earlier token' })
      seen.add(entry.token)
    })
  })

export type AuthTokenEntry = z.infer<typeof entrySchema>
export type AuthTokenFile = z.infer<typeof fileSchema>

/** Validates an already-parsed auth tokens document; throws Error with a one-line message. */
export function parseAuthTokens(value: unknown, source = 'auth tokens'): AuthTokenFile {
  const result = fileSchema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)'
  const expected = 'expected {"tokens":[{"token":"…","scopes":["read"],"jobs":"*"}]}'
  throw new Error(`invalid ${source}: ${where} ${issue?.message ?? 'is malformed'}; ${expected}`)
}

/** Reads and validates `--auth-tokens FILE`. Throws Error with a one-line message. */
export function loadAuthTokens(path: string): AuthTokenFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message
    throw new Error(`cannot read auth tokens file ${path} (${code}); check the --auth-tokens path`, { cause })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new Error(`auth tokens file ${path} is not valid JSON (${(cause as Error).message})`, { cause })
  }
  return parseAuthTokens(json, `auth tokens file ${path}`)
}
