// livestate dashboard — plain browser JavaScript over the public API (no build step).
;(() => {
  const $ = (sel) => document.querySelector(sel)
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag)
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v)
      else e.setAttribute(k, v)
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)))
    return e
  }
  const show = (v) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x))
  let token = localStorage.getItem('livestate-token') || new URLSearchParams(location.search).get('access_token') || ''
  $('#token').value = token
  $('#save-token').onclick = () => {
    token = $('#token').value.trim()
    localStorage.setItem('livestate-token', token)
    void refreshJobs()
    connectWs()
  }

  async function api(path) {
    const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} })
    const body = await res.json().catch(() => ({}))
    if (!res.ok)
      throw Object.assign(new Error(body?.error?.message || `HTTP ${res.status}`), {
        code: body?.error?.code,
        status: res.status,
      })
    return body
  }

  const enc = encodeURIComponent
  let jobs = []
  let selectedJob
  let selectedState

  async function refreshJobs() {
    try {
      jobs = (await api('/v1/jobs')).jobs
      $('#conn').textContent = `${location.host} · ${jobs.length} job${jobs.length === 1 ? '' : 's'}`
      const list = $('#jobs')
      list.replaceChildren(
        ...jobs.map((j) =>
          el(
            'div',
            {
              class: `job${j.name === selectedJob ? ' selected' : ''}`,
              onclick: () => selectJob(j.name),
              'data-job': j.name,
            },
            el('div', {}, el('strong', {}, j.name), ' ', el('span', { class: `status ${j.status}` }, j.status)),
            el('div', { class: 'dim' }, `parallelism ${j.parallelism} · ${j.states.length} states`),
          ),
        ),
      )
      if (!jobs.length) list.replaceChildren(el('span', { class: 'dim' }, 'no jobs'))
      if (!selectedJob && jobs.length) selectJob(jobs[0].name)
      else if (selectedJob) void refreshJobDetail()
    } catch (e) {
      $('#conn').textContent = e.status === 401 ? 'this server needs a token' : `cannot reach the API: ${e.message}`
    }
  }

  // ── job panel ──────────────────────────────────────────────────────────────
  let chart
  const series = [[], []]
  let lastRecords

  function selectJob(name) {
    selectedJob = name
    selectedState = undefined
    series[0].length = 0
    series[1].length = 0
    lastRecords = undefined
    const content = $('#content')
    content.replaceChildren(
      el('h2', {}, `Job ${name}`),
      el('div', { class: 'cards', id: 'cards' }),
      el('h2', {}, 'Plan'),
      el('div', { class: 'plan', id: 'plan' }),
      el('h2', {}, 'Events per second'),
      el('div', { id: 'chart' }),
      el('h2', {}, 'Queryable states'),
      el('div', { class: 'states', id: 'states' }),
      el('div', { id: 'state-panel' }),
    )
    chart = new uPlot(
      {
        width: Math.min(900, content.clientWidth - 30),
        height: 180,
        scales: { x: { time: true } },
        series: [{}, { label: 'events/s', stroke: '#4fb3ff', fill: 'rgba(79,179,255,.12)' }],
        axes: [{ stroke: '#8a97a8' }, { stroke: '#8a97a8' }],
      },
      series,
      $('#chart'),
    )
    void refreshJobs()
  }

  async function refreshJobDetail() {
    const name = selectedJob
    let d
    try {
      d = await api(`/v1/jobs/${enc(name)}`)
    } catch (e) {
      $('#cards').replaceChildren(el('span', { class: 'error' }, e.message))
      return
    }
    if (name !== selectedJob) return
    const card = (label, value) =>
      el('div', { class: 'card' }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value))
    $('#cards').replaceChildren(
      card('status', el('span', { class: `status ${d.status}` }, d.status)),
      card('parallelism', d.parallelism),
      card('checkpoints', d.checkpoints.completed),
      card('latest checkpoint', d.checkpoints.latestId ?? '–'),
      card('checkpointed at', d.checkpoints.latestAt ? new Date(d.checkpoints.latestAt).toLocaleTimeString() : '–'),
    )
    const plan = $('#plan')
    const parts = []
    for (const v of d.plan.vertices) {
      parts.push(
        el(
          'div',
          { class: 'vertex' },
          el('strong', {}, `${v.id} ×${v.parallelism}`),
          el('div', { class: 'ops' }, v.operators.join(' → ')),
        ),
      )
    }
    for (const e of d.plan.edges) parts.push(el('div', { class: 'edge' }, `${e.source} ─${e.partitioner}→ ${e.target}`))
    plan.replaceChildren(...parts)
    const states = $('#states')
    if (states.childElementCount !== d.states.length) {
      states.replaceChildren(
        ...d.states.map((s) => el('span', { class: 'state-tab', 'data-state': s, onclick: () => selectState(s) }, s)),
      )
      if (!selectedState && d.states.length) void selectState(d.states[0])
    }
  }

  async function sampleMetrics() {
    if (!selectedJob || !chart) return
    try {
      const res = await fetch('/metrics', { headers: token ? { authorization: `Bearer ${token}` } : {} })
      if (!res.ok) return
      const text = await res.text()
      const line = text.split('\n').find((l) => l.startsWith(`livestate_job_records_in_total{job="${selectedJob}"}`))
      if (!line) return
      const value = Number(line.split(' ').pop())
      const now = Date.now() / 1000
      if (lastRecords) {
        const rate = Math.max(0, (value - lastRecords.value) / (now - lastRecords.at))
        series[0].push(now)
        series[1].push(Math.round(rate))
        if (series[0].length > 120) {
          series[0].shift()
          series[1].shift()
        }
        chart.setData(series)
      }
      lastRecords = { value, at: now }
    } catch {}
  }

  // ── state panel: description, key lookup, live entries ─────────────────────
  const rows = new Map()

  async function selectState(name) {
    selectedState = name
    for (const t of document.querySelectorAll('.state-tab')) t.classList.toggle('selected', t.dataset.state === name)
    const panel = $('#state-panel')
    const desc = el('div', { class: 'dim' }, 'loading…')
    const lookupOut = el('pre', { id: 'lookup-out' }, '')
    const keyInput = el('input', { id: 'lookup-key', placeholder: 'key', size: 28 })
    const prefixInput = el('input', { id: 'prefix', placeholder: 'prefix filter', size: 18 })
    const tbody = el('tbody', { id: 'entries' })
    panel.replaceChildren(
      el('h2', {}, `State ${name}`),
      desc,
      el(
        'div',
        { class: 'row' },
        keyInput,
        el('button', { id: 'lookup', onclick: () => lookup(keyInput.value, lookupOut) }, 'Get'),
        el('span', { class: 'spacer' }),
        prefixInput,
        el('button', { onclick: () => loadEntries(prefixInput.value) }, 'Filter'),
      ),
      lookupOut,
      el('h2', {}, 'Entries (live)'),
      el(
        'table',
        {},
        el('thead', {}, el('tr', {}, el('th', {}, 'key'), el('th', {}, 'value'), el('th', {}, '(epoch, seq)'))),
        tbody,
      ),
    )
    try {
      const d = await api(`/v1/jobs/${enc(selectedJob)}/states/${enc(name)}`)
      desc.textContent = `${d.kind} state · ${d.keyType} keys · operator ${d.operator} · ${d.owners.length} owner subtask(s) · maxParallelism ${d.maxParallelism}`
    } catch (e) {
      desc.textContent = e.message
    }
    void loadEntries('')
  }

  async function lookup(key, out) {
    try {
      out.textContent = show(
        await api(`/v1/jobs/${enc(selectedJob)}/states/${enc(selectedState)}/keys/${enc(key)}`),
        null,
        2,
      )
    } catch (e) {
      out.textContent = `${e.code ?? 'ERROR'}: ${e.message}`
    }
  }

  let loadSeq = 0

  async function loadEntries(prefix) {
    const mine = ++loadSeq
    const state = selectedState
    try {
      const q = new URLSearchParams({ limit: '50', ...(prefix ? { prefix } : {}) })
      const page = await api(`/v1/jobs/${enc(selectedJob)}/states/${enc(state)}/entries?${q}`)
      if (mine !== loadSeq) return // a newer selection superseded this one
      const tbody = $('#entries')
      rows.clear()
      tbody.replaceChildren(
        ...page.entries.map((e) => {
          const tr = el(
            'tr',
            { 'data-key': show(e.key) },
            el('td', {}, show(e.key)),
            el('td', { class: 'value' }, show(e.value)),
            el('td', { class: 'dim' }, '–'),
          )
          rows.set(show(e.key), tr)
          return tr
        }),
      )
      subscribe(page.entries.map((e) => e.key))
    } catch (e) {
      if (mine === loadSeq)
        $('#entries').replaceChildren(el('tr', {}, el('td', { class: 'error', colspan: '3' }, e.message)))
    }
  }

  // ── one WebSocket for live updates ─────────────────────────────────────────
  let ws
  let nextId = 1
  let currentSub
  let pendingSubscribeId
  let wanted

  function connectWs() {
    try {
      ws?.close()
    } catch {}
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/ws${token ? `?access_token=${enc(token)}` : ''}`
    ws = new WebSocket(url)
    ws.onopen = () => wanted && subscribe(wanted)
    ws.onclose = () => setTimeout(connectWs, 1000)
    ws.onmessage = (m) => {
      const f = JSON.parse(m.data)
      if (f.id !== undefined) {
        if (!f.sub) return
        if (f.id === pendingSubscribeId) currentSub = f.sub
        else ws.send(JSON.stringify({ id: nextId++, op: 'unsubscribe', sub: f.sub })) // superseded
        return
      }
      if (!f.sub || f.sub !== currentSub) return
      if (f.type === 'status') {
        $('#conn').textContent = `state ${f.state}`
        return
      }
      const tr = rows.get(show(f.key))
      if (!tr) return
      tr.children[1].textContent = f.type === 'delete' ? '(deleted)' : show(f.value)
      tr.children[2].textContent = `(${f.epoch}, ${f.seq})`
      tr.classList.remove('flash')
      void tr.offsetWidth
      tr.classList.add('flash')
    }
  }

  function subscribe(keys) {
    wanted = keys
    if (ws?.readyState !== 1) return
    if (currentSub) ws.send(JSON.stringify({ id: nextId++, op: 'unsubscribe', sub: currentSub }))
    currentSub = undefined
    pendingSubscribeId = undefined
    if (keys.length) {
      pendingSubscribeId = nextId++
      ws.send(JSON.stringify({ id: pendingSubscribeId, op: 'subscribe', job: selectedJob, state: selectedState, keys }))
    }
  }

  void refreshJobs()
  connectWs()
  setInterval(refreshJobs, 2000)
  setInterval(sampleMetrics, 1000)
})()
