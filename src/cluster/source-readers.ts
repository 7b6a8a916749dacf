// Creates the SourceReader for a source spec (one table over the SourceSpec union).
import type { SourceSpec } from '../api/transformation.ts'
import { CollectionSourceReader } from '../runtime/sources/collection-source.ts'
import { GeneratorSourceReader } from '../runtime/sources/generator-source.ts'
import { HttpSourceReader, type IngestLogReader } from '../runtime/sources/http-source.ts'
import { NdjsonSourceReader } from '../runtime/sources/ndjson-source.ts'
import type { SourceReader, SourceReaderContext } from '../runtime/sources/source-reader.ts'

export function createSourceReader(
  spec: SourceSpec,
  ctx: SourceReaderContext & { ingestLog: () => IngestLogReader },
): SourceReader {
  switch (spec.type) {
    case 'collection':
      return new CollectionSourceReader(spec.items)
    case 'generator':
      return new GeneratorSourceReader(spec.generate, spec, ctx.subtaskIndex, ctx.parallelism)
    case 'ndjson':
      return new NdjsonSourceReader(spec.path, ctx.baseDir)
    case 'http':
      return new HttpSourceReader(ctx.ingestLog())
  }
}
