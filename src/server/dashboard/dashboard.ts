// The web dashboard served at GET /: one self-contained page (uPlot inlined, no build step) that
// talks to the public HTTP and WebSocket API like any client — jobs, plan, checkpoints, an
// events/s chart from /metrics, key lookup and a live table of a state's entries.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

export async function loadDashboardHtml(): Promise<string> {
  const [page, script, uplotJs, uplotCss] = await Promise.all([
    readFile(new URL('./dashboard.html', import.meta.url), 'utf8'),
    readFile(new URL('./dashboard.js', import.meta.url), 'utf8'),
    readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  ])
  // </script> cannot occur in the inlined sources; guard anyway so the page can never break out.
  const safe = (js: string) => js.replaceAll('</script', '<\\/script')
  return page
    .replace('/*UPLOT_CSS*/', uplotCss)
    .replace('/*UPLOT_JS*/', () => safe(uplotJs))
    .replace('/*DASHBOARD_JS*/', () => safe(script))
}
