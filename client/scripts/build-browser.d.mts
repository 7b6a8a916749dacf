// Types of build-browser.mjs for the tests that call it.
import type { BuildResult } from 'esbuild'

export declare const DEFAULT_OUTFILE: string
export declare function buildBrowserBundle(outfile?: string): Promise<BuildResult<{ metafile: true }>>
