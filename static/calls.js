// The calls pages: /calls lists the calls, /calls/<id>?agent=<name> shows one. Every
// piece of data from the API goes into the page as text (textContent, setAttribute),
// never as markup, so whatever a caller said shows as the words they said.
'use strict';

(() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);

  /// An HTML element with attributes and, when given, text.
  function el(tag, attributes = {}, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /// An SVG element with attributes and, when given, text.
  function svg(tag, attributes = {}, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function showError(error) {
    const box = $('error');
    box.textContent = error instanceof Error ? error.message : String(error);
    box.hidden = false;
  }

  /// JSON from the calls API (same origin: the browser re-sends the login). The URL is
  /// built from the origin: a page opened as http://admin:TOKEN@host/calls has the login
  /// in its own address, and fetch refuses a URL that carries credentials.
  async function api(path, options = {}) {
    const response = await fetch(new URL(path, window.location.origin), {
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
      ...options,
    });
    if (!response.ok) {
      let message = `The server answered ${response.status}.`;
      try {
        const body = await response.json();
        if (body && typeof body.error === 'string') message = `The server answered ${response.status}: ${body.error}`;
      } catch { /* not JSON */ }
      throw Object.assign(new Error(message), { status: response.status });
    }
    return response.status === 204 ? null : response.json();
  }

  const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);
  const time = (ms) => (isNumber(ms) ? new Date(ms).toLocaleString() : '—');
  /// A list row's time, short: "Dec 7, 13:19" (the year only when not this one).
  function shortTime(ms) {
    if (!isNumber(ms)) return '—';
    const date = new Date(ms);
    const options = { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
    if (date.getFullYear() !== new Date().getFullYear()) options.year = 'numeric';
    return date.toLocaleString([], options);
  }
  const millis = (ms) => (isNumber(ms) ? `${Math.round(ms)} ms` : '—');

  function duration(ms) {
    if (!isNumber(ms) || ms < 0) return '—';
    const seconds = Math.round(ms / 1000);
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  }

  /// 1234 → "1,234"; large counts shortened: 45600 → "45.6k".
  function count(n) {
    if (!isNumber(n)) return '—';
    if (n >= 10000) return `${(n / 1000).toFixed(n >= 100000 ? 0 : 1)}k`;
    return n.toLocaleString('en-US');
  }

  /// Prompt and completion tokens: "812 in · 34 out", or '' when no usage was reported.
  function tokens(prompt, completion) {
    if (!isNumber(prompt) && !isNumber(completion)) return '';
    return `${count(prompt)} in · ${count(completion)} out`;
  }

  /// US dollars: "$0.0123" under a dollar, "$4.56" from one up; '' when unknown.
  function usd(n) {
    if (!isNumber(n)) return '';
    return n < 1 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`;
  }

  /// A call's cost, with the session's minutes when priced; why there is none otherwise.
  function callCost(call, models) {
    if (isNumber(call.cost_usd)) {
      return isNumber(call.voice_cost_usd) && call.voice_cost_usd > 0
        ? `${usd(call.cost_usd)} (minutes ${usd(call.voice_cost_usd)})`
        : usd(call.cost_usd);
    }
    return models.length ? 'unknown (a model without a price in PRICES_FILE)' : '';
  }

  const OUTCOMES = ['completed', 'interrupted', 'failed', 'superseded'];

  function badge(outcome) {
    const text = typeof outcome === 'string' && outcome ? outcome : 'unknown';
    const node = el('span', {}, text);
    node.className = OUTCOMES.includes(text) ? `badge ${text}` : 'badge';
    return node;
  }

  /// "1 turn failed" for a call that went on after failures, or '' when none failed.
  function failedTurns(call) {
    const n = isNumber(call.failed_turns) ? call.failed_turns : 0;
    return n > 0 ? `${n} turn${n === 1 ? '' : 's'} failed` : '';
  }

  function callPath(call) {
    const agent = encodeURIComponent(String(call.agent ?? ''));
    return `/calls/${encodeURIComponent(String(call.conversation_id ?? ''))}?agent=${agent}`;
  }

  // ---- The list ------------------------------------------------------------------------

  function callRow(call) {
    const href = callPath(call);
    const row = el('tr', { 'data-conversation-id': call.conversation_id ?? '' });
    const when = el('td');
    when.append(el('a', { href, class: 'call-link', title: time(call.started_ms) }, shortTime(call.started_ms)));
    const preview = typeof call.preview === 'string' ? call.preview : '';
    const total = [call.prompt_tokens, call.completion_tokens].filter(isNumber);
    row.append(
      when,
      el('td', {}, ['openai', 'retell'].includes(call.door) ? `${call.agent ?? ''} · ${call.door}` : call.agent ?? ''),
      el('td', { class: 'preview', title: preview }, preview || '—'),
      el('td', { class: 'num' }, duration(call.duration_ms)),
      el('td', { class: 'num' }, isNumber(call.turns) ? call.turns : '—'),
      el('td', { class: 'num' }, isNumber(call.tool_calls) ? call.tool_calls : '—'),
      el('td', { class: 'num', title: tokens(call.prompt_tokens, call.completion_tokens) },
        total.length ? count(total.reduce((a, b) => a + b, 0)) : '—'),
    );
    const outcome = el('td');
    outcome.append(badge(call.outcome));
    if (failedTurns(call)) outcome.append(el('span', { class: 'failed-turns' }, ` · ${failedTurns(call)}`));
    row.append(
      outcome,
      el('td', { class: 'num' }, millis(call.median_first_tts_ms)),
      el('td', { class: 'num' }, usd(call.cost_usd) || '—'),
    );
    const phones = [call.from_phone_number, call.to_phone_number].filter((p) => typeof p === 'string' && p);
    if (phones.length) row.setAttribute('title', phones.join(' → '));
    row.addEventListener('click', (event) => {
      if (event.target instanceof Element && event.target.closest('a')) return;
      location.assign(href);
    });
    return row;
  }

  // ---- The overview -------------------------------------------------------------------

  /// "12.5 %" of a share from 0 to 1, '—' when unknown.
  function percent(share) {
    return isNumber(share) ? `${(share * 100).toFixed(1)} %` : '—';
  }

  /// A bar chart of one figure per day: `series` are [name, value-of-day, class] triples
  /// drawn side by side; each bar says its day and value on hover.
  function dayChart(title, days, series, format) {
    const figure = el('figure', { class: 'day-chart' });
    figure.append(el('figcaption', {}, title));
    const values = days.flatMap((day) => series.map(([, of]) => of(day))).filter(isNumber);
    const max = Math.max(1e-9, ...values);
    const slot = 12 * series.length + 4;
    const width = Math.max(1, days.length) * slot;
    const chart = svg('svg', { viewBox: `0 0 ${width} 60`, preserveAspectRatio: 'none', role: 'img', 'aria-label': title });
    days.forEach((day, i) => {
      series.forEach(([name, of, kind], k) => {
        const value = of(day);
        if (!isNumber(value)) return;
        const height = Math.max(value > 0 ? 1 : 0, (value / max) * 56);
        const bar = svg('rect', { x: i * slot + 2 + k * 12, y: 60 - height, width: 10, height, class: `bar ${kind}` });
        bar.append(svg('title', {}, `${day.day} · ${name}: ${format(value)}`));
        chart.append(bar);
      });
    });
    figure.append(chart);
    const legend = series.length > 1 ? series.map(([name]) => name).join(' · ') + ' · ' : '';
    figure.append(el('span', { class: 'range muted' }, `${legend}${days[0]?.day ?? ''} – ${days[days.length - 1]?.day ?? ''}, highest ${format(max)}`));
    return figure;
  }

  async function showOverview(agent) {
    const period = $('period');
    async function load() {
      // "2 days, by hour": today and the day before, hour by hour (UTC).
      const hourly = period.value === 'hours';
      const query = new URLSearchParams({ days: hourly ? '2' : period.value });
      if (hourly) query.set('bucket', 'hour');
      if (agent) query.set('agent', agent);
      try {
        const stats = await api(`/api/stats?${query}`);
        const days = Array.isArray(stats.days) ? stats.days : [];
        const per = hourly ? 'hour' : 'day';
        const total = stats.total && typeof stats.total === 'object' ? stats.total : {};
        const figures = $('figures');
        figures.replaceChildren();
        const perCall = isNumber(total.cost_usd) && total.calls > 0 ? total.cost_usd / total.calls : null;
        for (const [name, value] of [
          ['Calls', count(total.calls)],
          ['Turns', count(total.turns)],
          ['First audio p50 / p95', `${millis(total.first_audio_p50_ms)} / ${millis(total.first_audio_p95_ms)}`],
          ['Failed turns', percent(stats.failure_rate)],
          ['Interrupted turns', percent(stats.interruption_rate)],
          ['Cost', `${usd(total.cost_usd) || '—'}${perCall !== null ? ` (${usd(perCall)} a call)` : ''}`],
          ['Prompt cache hits', percent(stats.cache_hit_rate)],
          ['Successful calls', percent(stats.success_rate)],
        ]) {
          const item = el('div', { class: 'figure' });
          item.append(el('dt', {}, name), el('dd', {}, value));
          figures.append(item);
        }
        const charts = $('charts');
        charts.replaceChildren(
          dayChart(`Calls and turns per ${per}`, days, [['calls', (d) => d.calls, 'calls'], ['turns', (d) => d.turns, 'turns']], count),
          dayChart(`First audio per ${per}`, days, [['p50', (d) => d.first_audio_p50_ms, 'p50'], ['p95', (d) => d.first_audio_p95_ms, 'p95']], millis),
          dayChart(`Failed and interrupted turns per ${per}`, days, [
            ['failed', (d) => (d.turns ? d.failed_turns / d.turns : null), 'failed'],
            ['interrupted', (d) => (d.turns ? d.interrupted_turns / d.turns : null), 'interrupted'],
          ], percent),
          dayChart(`Cost per ${per}`, days, [['cost', (d) => d.cost_usd, 'cost']], (n) => usd(n) || '$0'),
          dayChart(`Prompt cache hits per ${per}`, days, [['hits', (d) => (d.prompt_tokens ? d.cached_tokens / d.prompt_tokens : null), 'hits']], percent),
          dayChart(`Successful calls per ${per}`, days, [['success', (d) => (d.analysed ? d.succeeded / d.analysed : null), 'success']], percent),
        );
        const tools = Array.isArray(stats.tools) ? stats.tools : [];
        const table = $('tool-stats');
        const body = table.querySelector('tbody');
        body.replaceChildren(...tools.map((tool) => {
          const row = el('tr');
          row.append(el('td', {}, tool.tool ?? ''), el('td', {}, tool.outcome ?? ''), el('td', { class: 'num' }, count(tool.calls)));
          return row;
        }));
        table.hidden = tools.length === 0;
        document.body.setAttribute('data-overview', 'loaded');
      } catch (error) {
        showError(error);
      }
    }
    period.addEventListener('change', load);
    await load();
  }

  function showList() {
    $('list-view').hidden = false;
    const params = new URLSearchParams(location.search);
    const text = $('text');
    const phone = $('phone');
    const body = $('calls-body');
    const older = $('older');
    text.value = params.get('text') || '';
    phone.value = params.get('phone') || '';
    const agent = params.get('agent') || '';
    const limit = params.get('limit') || '';
    // `/calls?success=false`: the calls whose analysis says they missed the rubric.
    const success = ['true', 'false'].includes(params.get('success')) ? params.get('success') : '';
    let cursor = null;
    showOverview(agent);

    async function load(fresh) {
      const query = new URLSearchParams();
      if (text.value.trim()) query.set('text', text.value.trim());
      if (phone.value.trim()) query.set('phone', phone.value.trim());
      if (agent) query.set('agent', agent);
      if (limit) query.set('limit', limit);
      if (success) query.set('success', success);
      if (!fresh && cursor !== null) query.set('cursor', cursor);
      older.disabled = true;
      try {
        const page = await api(`/api/calls?${query}`);
        if (fresh) body.replaceChildren();
        for (const call of Array.isArray(page.calls) ? page.calls : []) body.append(callRow(call));
        cursor = typeof page.next_cursor === 'string' ? page.next_cursor : null;
        older.hidden = cursor === null;
        $('no-calls').hidden = body.children.length > 0;
        $('error').hidden = true;
      } catch (error) {
        showError(error);
      } finally {
        older.disabled = false;
      }
    }

    $('search').addEventListener('submit', (event) => {
      event.preventDefault();
      const url = new URL(location.href);
      for (const [name, input] of [['text', text], ['phone', phone]]) {
        if (input.value.trim()) url.searchParams.set(name, input.value.trim());
        else url.searchParams.delete(name);
      }
      history.replaceState(null, '', url);
      load(true);
    });
    older.addEventListener('click', () => load(false));
    load(true);
  }

  // ---- One call ------------------------------------------------------------------------

  function fact(list, name, value) {
    list.append(el('dt', {}, name));
    const dd = el('dd');
    if (value instanceof Node) dd.append(value);
    else dd.textContent = value === undefined || value === null || value === '' ? '—' : String(value);
    list.append(dd);
  }

  /// A link for an https: recording URL; anything else stays text.
  function recording(url) {
    try {
      const parsed = new URL(url);
      if (parsed.protocol === 'https:') {
        return el('a', { href: parsed.href, rel: 'noopener noreferrer', target: '_blank' }, url);
      }
    } catch { /* not a URL */ }
    return el('span', {}, url);
  }

  function showHeader(call) {
    $('call-title').textContent = `${call.agent ?? ''} · ${time(call.started_ms)}`;
    $('call-outcome').replaceWith(Object.assign(badge(call.outcome), { id: 'call-outcome' }));
    const facts = $('call-facts');
    facts.replaceChildren();
    fact(facts, 'Conversation', call.conversation_id);
    fact(facts, 'Agent', call.agent);
    // Layercode's webhook, the OpenAI door (Vapi, ElevenLabs, an OpenAI client) or Retell's socket.
    const doors = { openai: 'OpenAI-compatible (chat/completions)', retell: "Retell's WebSocket" };
    if (doors[call.door]) fact(facts, 'Door', doors[call.door]);
    fact(facts, 'Started', time(call.started_ms));
    if (failedTurns(call)) fact(facts, 'Failed turns', String(call.failed_turns));
    if (isNumber(call.ended_ms)) fact(facts, 'Ended', time(call.ended_ms));
    fact(facts, 'Duration', duration(call.duration_ms));
    fact(facts, 'Median first audio', millis(call.median_first_tts_ms));
    const turns = Array.isArray(call.turns) ? call.turns : [];
    const models = [...new Set(turns.map((t) => t.model).filter((m) => typeof m === 'string' && m))];
    fact(facts, models.length > 1 ? 'Models' : 'Model', models.join(', '));
    const cached = isNumber(call.cached_tokens) && call.cached_tokens > 0 ? ` (${count(call.cached_tokens)} cached)` : '';
    const used = tokens(call.prompt_tokens, call.completion_tokens);
    fact(facts, 'Tokens', used && cached ? used.replace(' in ·', ` in${cached} ·`) : used);
    fact(facts, 'Cost', callCost(call, models));
    const analysis = call.analysis && typeof call.analysis === 'object' ? call.analysis : null;
    if (analysis && typeof analysis.success === 'boolean') {
      const reason = typeof analysis.success_reason === 'string' ? ` — ${analysis.success_reason}` : '';
      fact(facts, 'Success', `${analysis.success ? 'yes' : 'no'}${reason}`);
    }
    if (analysis && analysis.data !== undefined) {
      fact(facts, 'Analysis', el('pre', { class: 'analysis' }, JSON.stringify(analysis.data, null, 2)));
    }
    fact(facts, 'Tool calls', isNumber(call.tool_calls) ? String(call.tool_calls) : '');
    if (call.from_phone_number) fact(facts, 'From', call.from_phone_number);
    if (call.to_phone_number) fact(facts, 'To', call.to_phone_number);
    if (typeof call.recording_url === 'string' && call.recording_url) {
      const node = el('span');
      node.append(recording(call.recording_url));
      if (call.recording_status) node.append(document.createTextNode(` (${call.recording_status})`));
      fact(facts, 'Recording', node);
    } else if (call.recording_status) {
      fact(facts, 'Recording', call.recording_status);
    }

    const metadata = call.metadata && typeof call.metadata === 'object' ? Object.entries(call.metadata) : [];
    const list = $('call-metadata');
    list.replaceChildren();
    for (const [key, value] of metadata) fact(list, key, typeof value === 'string' ? value : JSON.stringify(value));
    $('call-metadata-box').hidden = metadata.length === 0;

    if (typeof call.summary_text === 'string' && call.summary_text) {
      $('call-summary').textContent = call.summary_text;
      $('call-summary').hidden = false;
    }
    if (call.session_report && typeof call.session_report === 'object') {
      $('report').textContent = JSON.stringify(call.session_report, null, 2);
      $('report-box').hidden = false;
    }
  }

  function bubble(kind, who, text) {
    const node = el('div', { class: `message ${kind}` });
    node.append(el('span', { class: 'who' }, who), el('span', { class: 'text' }, text));
    return node;
  }

  function toolChip(tool) {
    const outcome = typeof tool.outcome === 'string' ? tool.outcome : '';
    const chip = el('div', { class: `chip ${outcome === 'ok' ? 'ok' : 'bad'}`, title: tool.arguments ?? '' });
    const details = el('details');
    const summary = el('summary');
    summary.append(el('span', { class: 'name' }, tool.name ?? ''), document.createTextNode(` · ${outcome} · ${millis(tool.ms)}`));
    details.append(summary, el('span', { class: 'part' }, 'Arguments'), el('pre', { class: 'arguments' }, tool.arguments ?? ''));
    if (typeof tool.result === 'string') {
      details.append(el('span', { class: 'part' }, 'Result, as the model read it'), el('pre', { class: 'result' }, tool.result));
    }
    chip.append(details);
    return chip;
  }

  /// The model, tokens and attempts of a turn, under its reply.
  function turnFacts(turn) {
    const parts = [];
    if (typeof turn.model === 'string' && turn.model) parts.push(turn.model);
    const used = tokens(turn.prompt_tokens, turn.completion_tokens);
    if (used) parts.push(`${used} tokens`);
    if (isNumber(turn.cost_usd)) parts.push(usd(turn.cost_usd));
    if (isNumber(turn.attempts) && turn.attempts > 1) parts.push(`${turn.attempts} model requests`);
    if (isNumber(turn.first_tts_ms)) parts.push(`first audio ${millis(turn.first_tts_ms)}`);
    const traced = typeof turn.trace_url === 'string' && /^https?:\/\//.test(turn.trace_url);
    if (!parts.length && !traced) return null;
    const facts = el('span', { class: 'turn-facts' }, parts.join(' · '));
    if (traced) {
      if (parts.length) facts.append(' · ');
      facts.append(el('a', { class: 'trace', href: turn.trace_url, target: '_blank', rel: 'noopener noreferrer' }, 'trace'));
    }
    return facts;
  }

  function showTranscript(turns) {
    const transcript = $('transcript');
    transcript.replaceChildren();
    for (const turn of turns) {
      const group = el('div', { class: 'turn', 'data-turn-id': turn.turn_id ?? '' });
      const welcome = turn.event === 'session.start';
      if (typeof turn.user_text === 'string' && turn.user_text) {
        group.append(bubble('user', 'Caller', turn.user_text));
      }
      const failed = turn.outcome === 'failed';
      if ((typeof turn.agent_text === 'string' && turn.agent_text) || failed) {
        const reply = bubble('agent', welcome ? 'Agent · welcome' : 'Agent', turn.agent_text ?? '');
        // A failed turn is cut short too; its own mark says more.
        if (failed) {
          reply.classList.add('failed');
          reply.append(el('span', { class: 'fail' }, 'failed — the model did not finish; the caller heard this'));
        } else if (turn.interrupted) {
          reply.append(el('span', { class: 'cut' }, 'interrupted — heard up to here'));
        } else if (turn.outcome === 'superseded') {
          reply.append(el('span', { class: 'cut' }, 'superseded by a newer turn'));
        }
        const facts = turnFacts(turn);
        if (facts) reply.append(facts);
        group.append(reply);
      }
      const knowledge = Array.isArray(turn.knowledge) ? turn.knowledge : [];
      if (knowledge.length) {
        const notes = el('div', { class: 'knowledge' });
        notes.append(el('span', { class: 'part' }, 'Knowledge'));
        for (const used of knowledge) {
          const where = used.heading ? `${used.file ?? ''} › ${used.heading}` : (used.file ?? '');
          const score = isNumber(used.score) ? ` · ${used.score.toFixed(2)}` : '';
          notes.append(el('span', { class: 'passage', title: 'a passage put before the model' }, `${where}${score}`));
        }
        group.append(notes);
      }
      const tools = Array.isArray(turn.tools) ? turn.tools : [];
      if (tools.length) {
        const chips = el('div', { class: 'tools' });
        for (const tool of tools) chips.append(toolChip(tool));
        group.append(chips);
      }
      if (group.children.length) transcript.append(group);
    }
    if (!transcript.children.length) transcript.append(el('p', { class: 'empty' }, 'No turns recorded.'));
  }

  /// Horizontal bars per turn, from the webhook (0 ms): the whole reply, the first
  /// sentence sent and the model's first token, drawn over each other.
  function showChart(turns) {
    const box = $('chart');
    box.replaceChildren();
    let n = 0;
    const rows = [];
    for (const turn of turns) {
      const welcome = turn.event === 'session.start';
      if (!welcome) n += 1;
      const times = { token: turn.first_token_ms, tts: turn.first_tts_ms, total: turn.total_ms };
      if (![times.token, times.tts, times.total].some(isNumber)) continue;
      rows.push({ label: welcome ? 'welcome' : `turn ${n}`, times, id: turn.turn_id ?? '' });
    }
    $('no-chart').hidden = rows.length > 0;
    $('legend').hidden = rows.length === 0;
    if (!rows.length) return;

    // The scale ends on a round number: steps of 1, 2 or 5 times a power of ten.
    const longest = Math.max(1, ...rows.flatMap((r) => Object.values(r.times).filter(isNumber)));
    const rough = longest / 4;
    const power = 10 ** Math.floor(Math.log10(rough));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) || rough;
    const max = Math.max(step, Math.ceil(longest / step) * step);
    // Drawn at the box's own width, so the text keeps its size (an SVG scaled down to a
    // phone's width would shrink its labels); on a narrow screen the figures of a row go
    // under its bars instead of beside them.
    const width = Math.max(260, Math.floor(box.clientWidth) || 720);
    const narrow = width < 520;
    const left = narrow ? 58 : 74;
    const right = narrow ? 16 : 190;
    const rowHeight = narrow ? 40 : 26;
    const top = 6;
    const plot = width - left - right;
    const height = top + rows.length * rowHeight + 24;
    const x = (ms) => left + (ms / max) * plot;
    const chart = svg('svg', {
      width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
      'aria-label': 'Latency per turn in milliseconds',
    });

    for (let tick = 0; tick <= max + step / 2; tick += step) {
      const at = x(tick);
      chart.append(
        svg('line', { class: 'axis', x1: at, x2: at, y1: top, y2: height - 18 }),
        svg('text', { x: at, y: height - 4, 'text-anchor': 'middle' }, tick === max ? `${tick} ms` : `${tick}`),
      );
    }

    rows.forEach((row, i) => {
      const y = top + i * rowHeight;
      const group = svg('g', { class: 'turn-bar', 'data-turn-id': row.id });
      group.append(svg('text', { class: 'label', x: left - 8, y: y + 16, 'text-anchor': 'end' }, row.label));
      const bars = [
        ['total', row.times.total, 0, 20, 'whole reply'],
        ['tts', row.times.tts, 4, 12, 'first sentence sent'],
        ['token', row.times.token, 7, 6, 'model first token'],
      ];
      for (const [kind, ms, offset, thickness, name] of bars) {
        if (!isNumber(ms)) continue;
        const rect = svg('rect', {
          class: kind, x: left, y: y + 2 + offset, height: thickness,
          width: Math.max(1, x(ms) - left), rx: 2,
        });
        rect.append(svg('title', {}, `${name}: ${Math.round(ms)} ms`));
        group.append(rect);
      }
      const label = [row.times.token, row.times.tts, row.times.total].map((ms) => (isNumber(ms) ? Math.round(ms) : '—')).join(' / ');
      group.append(narrow
        ? svg('text', { class: 'figures', x: left, y: y + 36 }, `${label} ms`)
        : svg('text', { class: 'figures', x: left + plot + 8, y: y + 16 }, `${label} ms`));
      chart.append(group);
    });
    box.append(chart);
  }

  async function showCall(id) {
    $('call-view').hidden = false;
    const agent = new URLSearchParams(location.search).get('agent');
    const query = agent ? `?agent=${encodeURIComponent(agent)}` : '';
    const path = `/api/calls/${encodeURIComponent(id)}${query}`;
    const back = agent ? `/calls?agent=${encodeURIComponent(agent)}` : '/calls';
    $('back').setAttribute('href', back);
    let call;
    try {
      call = await api(path);
    } catch (error) {
      if (error.status === 404) {
        // Nothing to show and nothing to delete: a plain page that says so.
        $('call-found').hidden = true;
        $('not-found-id').textContent = id;
        $('not-found').hidden = false;
        document.title = 'No such call · voicebridge';
        document.body.setAttribute('data-loaded', 'not-found');
      } else {
        showError(error);
      }
      return;
    }
    const turns = Array.isArray(call.turns) ? call.turns : [];
    document.title = `${call.conversation_id ?? id} · Calls · voicebridge`;
    // Shown first: the chart is drawn at its box's width, which a hidden box does not have.
    $('call-found').hidden = false;
    showHeader(call);
    showTranscript(turns);
    showChart(turns);
    document.body.setAttribute('data-loaded', 'call');
    $('delete').addEventListener('click', async () => {
      if (!window.confirm(`Delete call ${id} for good? Its transcript cannot be brought back.`)) return;
      try {
        await api(path, { method: 'DELETE' });
        location.assign(back);
      } catch (error) {
        showError(error);
      }
    });
  }

  const prefix = '/calls/';
  const rest = location.pathname.startsWith(prefix) ? location.pathname.slice(prefix.length) : '';
  if (rest) {
    let id = rest;
    try { id = decodeURIComponent(rest); } catch { /* keep it as it is */ }
    showCall(id);
  } else {
    showList();
  }
})();
