// Checks of the two documents the server publishes: Prometheus text exposition (GET /metrics) and
// the OpenAPI 3 document (GET /v1/openapi.json). Written from the formats' specifications, so the
// tests do not trust the libraries that produce them.

export interface PrometheusSample {
  name: string
  labels: Record<string, string>
  value: number
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y

function parseValue(s: string): number {
  if (s === '+Inf') return Number.POSITIVE_INFINITY
  if (s === '-Inf') return Number.NEGATIVE_INFINITY
  if (s === 'NaN') return Number.NaN
  const n = Number(s)
  if (s.trim() === '' || Number.isNaN(n)) throw new Error(`not a sample value: ${s}`)
  return n
}

/** Parses Prometheus text format 0.0.4; throws on any line that is neither a comment nor a sample. */
export function parsePrometheus(text: string): PrometheusSample[] {
  const samples: PrometheusSample[] = []
  const typed = new Map<string, string>()
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line)
      if (m && !METRIC_NAME.test(m[2]!)) throw new Error(`line ${i + 1}: bad metric name in ${line}`)
      if (m?.[1] === 'TYPE') {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(m[3] ?? ''))
          throw new Error(`line ${i + 1}: bad TYPE ${line}`)
        if (typed.has(m[2]!)) throw new Error(`line ${i + 1}: second TYPE for ${m[2]}`)
        typed.set(m[2]!, m[3]!)
      }
      continue
    }
    const m = SAMPLE.exec(line)
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line}`)
    const labels: Record<string, string> = {}
    const body = m[3] ?? ''
    LABEL.lastIndex = 0
    while (LABEL.lastIndex < body.length) {
      const at = LABEL.lastIndex
      const l = LABEL.exec(body)
      if (!l || l.index !== at) throw new Error(`line ${i + 1}: bad labels {${body}}`)
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\')
      if (l[3] === '') break
    }
    samples.push({ name: m[1]!, labels, value: parseValue(m[4]!) })
  }
  return samples
}

type Json = Record<string, unknown>
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined
  let node: unknown = doc
  for (const raw of ref.slice(2).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (node === null || typeof node !== 'object' || !(part in (node as Json))) return undefined
    node = (node as Json)[part]
  }
  return node
}

/**
 * Structural validation against OpenAPI 3.0/3.1 (the required fields and the rules a generator can
 * get wrong): returns the problems found, empty when the document is valid.
 */
export function checkOpenApiDocument(doc: Json): string[] {
  const problems: string[] = []
  if (typeof doc.openapi !== 'string' || !/^3\.[01]\.\d+$/.test(doc.openapi))
    problems.push(`openapi: ${String(doc.openapi)}`)
  const info = doc.info as Json | undefined
  if (typeof info?.title !== 'string' || typeof info?.version !== 'string')
    problems.push('info needs title and version')
  const paths = doc.paths as Record<string, Json> | undefined
  if (!paths || typeof paths !== 'object') return [...problems, 'paths missing']
  const operationIds = new Set<string>()
  for (const [p, item] of Object.entries(paths)) {
    if (!p.startsWith('/')) problems.push(`path ${p} does not start with /`)
    const templated = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!)
    const ops = Object.entries(item).filter(([m]) => METHODS.includes(m))
    if (ops.length === 0) problems.push(`${p}: no operation`)
    for (const [method, op] of ops as [string, Json][]) {
      const where = `${method.toUpperCase()} ${p}`
      const responses = op.responses as Json | undefined
      if (!responses || Object.keys(responses).length === 0) problems.push(`${where}: no responses`)
      for (const [status, r] of Object.entries(responses ?? {})) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) problems.push(`${where}: response key ${status}`)
        if (typeof (r as Json).description !== 'string' && !(r as Json).$ref)
          problems.push(`${where} ${status}: no description`)
      }
      if (typeof op.operationId === 'string') {
        if (operationIds.has(op.operationId)) problems.push(`${where}: duplicate operationId ${op.operationId}`)
        operationIds.add(op.operationId)
      }
      const params = [...((item.parameters as Json[]) ?? []), ...((op.parameters as Json[]) ?? [])]
      for (const param of params) {
        if (!['path', 'query', 'header', 'cookie'].includes(String(param.in)))
          problems.push(`${where}: parameter in ${String(param.in)}`)
        if (param.in === 'path' && param.required !== true)
          problems.push(`${where}: path parameter ${String(param.name)} not required`)
        if (param.in === 'path' && !templated.includes(String(param.name)))
          problems.push(`${where}: path parameter ${String(param.name)} not in the path`)
      }
      for (const name of templated) {
        if (!params.some((x) => x.in === 'path' && x.name === name)) problems.push(`${where}: {${name}} not declared`)
      }
      const body = op.requestBody as Json | undefined
      if (body && (!body.content || Object.keys(body.content as Json).length === 0))
        problems.push(`${where}: requestBody without content`)
    }
  }
  const refs = JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)
  for (const [, ref] of refs) if (resolvePointer(doc, ref!) === undefined) problems.push(`unresolved $ref ${ref}`)
  return problems
}
