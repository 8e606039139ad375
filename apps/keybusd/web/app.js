// keybus web keypad (docs/web.md): the state over Server-Sent Events, keys
// as JSON commands with the session's CSRF token. No framework, no request
// to anywhere but this server.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const LIGHTS = [['ready', 0x01], ['armed', 0x02], ['memory', 0x04], ['bypass', 0x08],
    ['trouble', 0x10], ['program', 0x20], ['fire', 0x40], ['backlight', 0x80]];
  const WORDS = {
    accepted: 'Sent…', queued: 'Waiting for the panel…', done: 'Done', wrong_code: 'Wrong code',
    not_ready: 'Not ready (zones open?)', timeout: 'Timed out: the panel did not answer', busy: 'Busy: try again',
    invalid_request: 'Not a valid command', rejected: 'Refused by the panel', not_available: 'Not available here',
    disconnected: 'The bus is disconnected', not_enabled: 'Not enabled in the configuration'
  };
  let csrf = '';
  let state = null;
  let part = 1;
  let typed = '';          // keys typed, not sent yet
  let waiting = null;      // id of the command whose result is shown
  let es = null;
  let stateAt = 0;         // performance.now() when the state arrived
  const lat = [];          // SSE arrival -> DOM updated, ms (window.kbLatency)
  const shown = [];        // [t_frame ns, wall ms when the DOM showed it] (window.kbShown)
  window.kbLatency = lat;
  window.kbShown = shown;

  async function api(path, body) {
    const opt = body === undefined ? {} : {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }
    };
    opt.credentials = 'same-origin';
    const r = await fetch(path, opt);
    let j = {};
    try { j = await r.json(); } catch (e) { j = {}; }
    return { status: r.status, json: j };
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function showResult(word, detail) {
    const r = $('result');
    const fin = word !== 'accepted' && word !== 'queued';
    r.textContent = (WORDS[word] || word) + (detail && word !== 'done' ? ' (' + detail + ')' : '');
    r.className = 'result ' + (!fin ? 'wait' : word === 'done' ? 'ok' : 'err');
    r.dataset.word = word;
  }

  async function send(cmd) {
    cmd.partition = part;
    showResult('accepted');
    const r = await api('/api/keys', cmd);
    if (r.status === 202) {
      waiting = r.json.id;
    } else {
      waiting = null;
      showResult(r.json.result || r.json.error || 'error', r.json.detail);
    }
  }

  function pressDigit(k) {
    if (typed.length >= 32) return;
    typed += k;
    renderDisplay();
  }

  function codeTyped() { return /^(\d{4}|\d{6})$/.test(typed) ? typed : null; }

  function action(act) {
    const code = codeTyped();
    const cmd = { action: act };
    if (code) cmd.code = code;
    typed = '';
    renderDisplay();
    send(cmd);
  }

  function sendKeys(keys) {
    typed = '';
    renderDisplay();
    if (keys) send({ keys: keys });
  }

  // fire / aux / panic: a second press within 3 s confirms
  function confirmAlarm(btn, act) {
    if (btn.dataset.confirm === '1') {
      btn.dataset.confirm = '';
      btn.classList.remove('armed-confirm');
      btn.textContent = btn.dataset.label;
      send({ action: act });
      return;
    }
    btn.dataset.confirm = '1';
    btn.classList.add('armed-confirm');
    btn.textContent = 'Press again: ' + btn.dataset.label;
    setTimeout(() => {
      btn.dataset.confirm = '';
      btn.classList.remove('armed-confirm');
      btn.textContent = btn.dataset.label;
    }, 3000);
  }

  function curPart() {
    if (!state) return null;
    return state.partitions.find((p) => p.n === part) || state.partitions[0] || null;
  }

  function pad(n) { return String(n).padStart(2, '0'); }

  function renderDisplay() {
    const p = curPart();
    let l1 = p ? (p.name || 'Partition ' + p.n) : 'waiting for the panel';
    let l2 = '';
    if (p) {
      l1 = (p.message || 'status unknown');
      l1 = l1.charAt(0).toUpperCase() + l1.slice(1);
      if (p.exit_delay || p.entry_delay) {
        const what = p.exit_delay ? 'Exit delay' : 'Entry delay';
        if (p.delay_total_s) {
          const el_ms = (p.delay_elapsed_ms || 0) + (performance.now() - stateAt);
          l2 = what + ' ' + Math.max(0, Math.ceil(p.delay_total_s - el_ms / 1000)) + ' s';
        } else {
          l2 = what;
        }
      } else if (typed) {
        l2 = 'Keys: ' + typed.replace(/\d/g, '•');
      } else if (state.time) {
        l2 = state.time;
      } else {
        l2 = p.name || '';
      }
    }
    $('line1').textContent = l1 || '\u00a0';
    $('line2').textContent = l2 || '\u00a0';
  }

  function renderParts() {
    const nav = $('parts');
    nav.textContent = '';
    for (const p of state.partitions) {
      const b = el('button', { 'aria-pressed': p.n === part ? 'true' : 'false', 'data-part': p.n },
        (p.name || 'Partition') + ' (' + p.n + ')');
      b.addEventListener('click', () => { part = p.n; render(); });
      nav.appendChild(b);
    }
  }

  function renderLights() {
    const p = curPart();
    const box = $('lights');
    box.textContent = '';
    for (const [name, bit] of LIGHTS) {
      const on = p && (p.lights & bit);
      const fl = p && (p.flash & bit); /* flashing, as the panel's 0x5D/0x63 says */
      const s = el('span', { class: 'light l-' + name + (on || fl ? ' on' : '') + (fl ? ' flash' : ''), 'data-light': name },
        name[0].toUpperCase() + name.slice(1));
      box.appendChild(s);
    }
  }

  function zoneWords(z) {
    const w = [];
    if (z.alarm) w.push('ALARM');
    if (z.tamper) w.push('tamper');
    if (z.bypassed) w.push('bypassed');
    if (z.memory && !z.alarm) w.push('alarm memory');
    w.push(z.open ? 'open' : 'closed');
    return w.join(', ');
  }

  function renderZones() {
    const box = $('zones');
    const sim = $('sim-zones');
    box.textContent = '';
    sim.textContent = '';
    for (const z of state.zones) {
      if (z.partition !== part) continue;
      const cls = ['zone'];
      for (const k of ['open', 'alarm', 'memory', 'bypassed', 'tamper']) if (z[k]) cls.push(k);
      const t = el('div', { class: cls.join(' '), 'data-zone': z.n, 'data-open': z.open ? '1' : '0' });
      t.appendChild(el('div', { class: 'zn' }, 'Zone ' + z.n));
      t.appendChild(el('div', { class: 'zname' }, z.name));
      t.appendChild(el('div', { class: 'zs' }, zoneWords(z)));
      box.appendChild(t);
      if (state.simulated) {
        const b = el('button', { 'data-sim-zone': z.n }, (z.open ? 'Close ' : 'Open ') + z.name);
        b.addEventListener('click', () => simPoke({ zone: z.n, open: !z.open }));
        sim.appendChild(b);
      }
    }
  }

  function renderButtons() {
    const out = $('outputs');
    const al = $('alarms');
    out.textContent = '';
    al.textContent = '';
    for (const o of state.buttons.outputs) {
      const b = el('button', { 'data-output': o }, 'Output ' + o);
      b.addEventListener('click', () => send({ action: 'output', output: o }));
      out.appendChild(b);
    }
    for (const a of ['fire', 'aux', 'panic']) {
      if (!state.buttons[a]) continue;
      const label = a === 'aux' ? 'Auxiliary' : a[0].toUpperCase() + a.slice(1);
      const b = el('button', { 'data-alarm': a, 'data-label': label }, label);
      b.addEventListener('click', () => confirmAlarm(b, a));
      al.appendChild(b);
    }
  }

  function renderHealth(h) {
    if (!h) return;
    const rows = [['Keybus', h.connected ? 'connected' : 'DISCONNECTED'], ['Frames', h.frames + ' (' + h.frames_ok + ' ok)'],
      ['Frame errors', h.errors], ['Ring overflows', h.ring_overflows],
      ['Last frame', h.last_frame_age_ms < 0 ? 'none yet' : h.last_frame_age_ms + ' ms ago'],
      ['MQTT', h.mqtt], ['Uptime', Math.floor(h.uptime_s / 3600) + ' h ' + pad(Math.floor(h.uptime_s / 60) % 60) + ' min'],
      ['Web clients', h.web_clients]];
    if (h.edges_lost !== undefined) rows.push(['Edges lost', h.edges_lost]);
    const dl = $('health');
    dl.textContent = '';
    for (const [k, v] of rows) { dl.appendChild(el('dt', {}, k)); dl.appendChild(el('dd', {}, String(v))); }
    const link = $('link');
    link.textContent = h.connected ? 'keybus connected' : 'keybus disconnected';
    link.className = 'badge ' + (h.connected ? 'ok' : 'bad');
  }

  function render() {
    if (!state) return;
    $('device').textContent = state.device;
    $('sim-badge').hidden = !state.simulated;
    $('sim').hidden = !state.simulated;
    // the simulated Classic panel has no bus cut, AC or battery to poke
    // (docs/web.md, "Classic panels"): only its zone buttons
    document.querySelectorAll('button[data-sim]').forEach((b) => { b.hidden = state.panel === 'classic'; });
    renderParts();
    renderLights();
    renderDisplay();
    renderZones();
    renderButtons();
    renderHealth(state.health);
  }

  function addEvent(e) {
    const li = el('li', { class: 'k-' + e.kind });
    const d = new Date(e.t);
    li.appendChild(el('time', { datetime: d.toISOString() }, pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds())));
    li.appendChild(document.createTextNode(e.text + (e.name ? ' (' + e.name + ')' : '')));
    const log = $('log');
    log.insertBefore(li, log.firstChild);
    while (log.children.length > 200) log.removeChild(log.lastChild);
  }

  async function simPoke(body) {
    const r = await api('/api/sim', body);
    if (r.status !== 202) showResult(r.json.error || 'error');
  }

  function onResult(j) {
    if (!waiting || j.id !== waiting) return;
    showResult(j.result, j.detail);
    if (j.result !== 'queued') waiting = null;
  }

  function stream() {
    if (es) es.close();
    es = new EventSource('/api/stream');
    es.addEventListener('open', () => { $('link').textContent = 'live'; });
    es.addEventListener('state', (m) => {
      const t0 = performance.now();
      state = JSON.parse(m.data);
      stateAt = t0;
      if (!state.partitions.some((p) => p.n === part) && state.partitions.length) part = state.partitions[0].n;
      render();
      lat.push(performance.now() - t0);
      if (state.t_frame) shown.push([state.t_frame, performance.timeOrigin + performance.now()]);
      if (lat.length > 1000) lat.shift();
      if (shown.length > 1000) shown.shift();
    });
    es.addEventListener('event', (m) => addEvent(JSON.parse(m.data)));
    es.addEventListener('result', (m) => onResult(JSON.parse(m.data)));
    es.addEventListener('health', (m) => renderHealth(JSON.parse(m.data)));
    es.addEventListener('error', () => {
      const l = $('link');
      l.textContent = 'reconnecting…';
      l.className = 'badge bad';
    });
  }

  function buildPad() {
    const d = $('digits');
    for (const k of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']) {
      const b = el('button', { 'data-key': k, 'aria-label': 'key ' + k }, k);
      b.addEventListener('click', () => pressDigit(k));
      d.appendChild(b);
    }
    document.querySelectorAll('button[data-act]').forEach((b) => b.addEventListener('click', () => action(b.dataset.act)));
    document.querySelectorAll('button[data-keys]').forEach((b) => b.addEventListener('click', () => sendKeys(b.dataset.keys)));
    document.querySelectorAll('button[data-sim]').forEach((b) => b.addEventListener('click', () => simPoke(JSON.parse(b.dataset.sim))));
    $('send').addEventListener('click', () => sendKeys(typed));
    $('clear').addEventListener('click', () => { typed = ''; renderDisplay(); });
    document.addEventListener('keydown', (e) => {
      if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
      if (/^[0-9*#]$/.test(e.key)) { pressDigit(e.key); e.preventDefault(); }
      else if (e.key === 'Enter' && !(e.target instanceof HTMLButtonElement)) { sendKeys(typed); e.preventDefault(); }
      else if (e.key === 'Escape') { typed = ''; renderDisplay(); }
      else if (e.key === 'Backspace') { typed = typed.slice(0, -1); renderDisplay(); e.preventDefault(); }
    });
    setInterval(() => { const p = curPart(); if (p && (p.exit_delay || p.entry_delay)) renderDisplay(); }, 250);
  }

  async function start() {
    const s = await api('/api/session');
    csrf = s.json.csrf || '';
    if (s.json.password && !s.json.authed) {
      $('login').hidden = false;
      $('app').hidden = true;
      return;
    }
    $('login').hidden = true;
    $('app').hidden = false;
    const ev = await api('/api/events');
    for (const e of ev.json.events || []) addEvent(e);
    const st = await api('/api/state');
    if (st.status === 200) { state = st.json; stateAt = performance.now(); render(); }
    stream();
  }

  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const pw = $('password');
    const r = await api('/api/login', { password: pw.value });
    pw.value = '';
    if (r.status === 200) { $('login-msg').textContent = ''; start(); }
    else if (r.status === 429) $('login-msg').textContent = 'Too many attempts: wait ' + r.json.retry_after + ' s';
    else $('login-msg').textContent = 'Wrong password';
  });

  buildPad();
  start();
})();
