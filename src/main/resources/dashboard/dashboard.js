// The client dashboard (GET /dashboard): plain JavaScript, no library, nothing from another host.
//
// Credentials and the live stream are session.js's (HubSession, shared with the onboarding wizard): the
// API key typed into the form is kept in that script's memory only (never in localStorage, sessionStorage,
// a cookie or the page's DOM: the field is emptied at once) and exchanged for a short-lived token, renewed
// while the page is open; reloading or closing the page forgets both, "Sign out" at once. The stream takes
// a single-use ticket per connection and, on any error, a new one from the last event id seen: nothing is
// missed, nothing doubled; this page shows "Reconnecting" meanwhile.
(function () {
  'use strict';

  var NEW_MS = 60000;        // how long a new booking stays highlighted
  var MAX_CALLS = 20;        // calls kept in the list
  var TREND_DAYS = 14;

  var S = window.HubSession; // signing in, the token, API calls and the event stream: session.js
  var session = 0;           // bumped on sign-out: late answers of an old session are dropped
  var zone = 'Europe/London';
  var currency = 'GBP';
  var calls = new Map();         // vapiCallId -> call
  var appointments = new Map();  // appointmentId -> appointment
  var leadNames = new Map();     // leadId -> name (as the events give it)

  function $(id) { return document.getElementById(id); }

  // ---- API calls ----------------------------------------------------------------------------------

  /** A call of this session (an answer after sign-out is dropped), with the refusal in words. */
  async function api(path) {
    var mine = session;
    var body;
    try {
      body = await S.api(path);
    } catch (e) {
      if (e instanceof S.ApiError) {
        throw new Error(e.path + ': ' + e.message + (e.body && e.body.reason ? ' (' + e.body.reason + ')' : ''));
      }
      throw e;
    }
    if (mine !== session) { throw new Error('signed out'); }
    return body;
  }

  // ---- formatting (the client's time zone) ----------------------------------------------------------

  function localDate(d) {
    // YYYY-MM-DD of the instant d in the client's zone
    return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  }

  function addDays(isoDate, n) {
    var d = new Date(isoDate + 'T12:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function when(iso) {
    if (!iso) { return ''; }
    return new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })
      .format(new Date(iso));
  }

  function clock(iso) {
    if (!iso) { return ''; }
    return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
  }

  function money(n) {
    if (n === null || n === undefined) { return '-'; }
    try {
      return new Intl.NumberFormat('en-GB', { style: 'currency', currency: currency }).format(n);
    } catch (e) {
      return Number(n).toFixed(2) + ' ' + currency;
    }
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) { return ''; }
    var s = Math.round(Number(seconds));
    return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
  }

  function words(s) { return s ? String(s).replace(/_/g, ' ') : ''; }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) { e.className = className; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  // ---- connection indicator ---------------------------------------------------------------------------

  function connection(state) {
    var c = $('connection');
    c.className = 'connection ' + state;
    c.dataset.state = state;
    c.textContent = state === 'live' ? 'Live' : state === 'reconnecting' ? 'Reconnecting…' : 'Not connected';
  }

  // ---- today's numbers ---------------------------------------------------------------------------------

  function showMetrics(m) {
    if (!m) { return; }
    if (m.currency) { currency = m.currency; }
    $('m-calls').textContent = m.total_calls === undefined ? '-' : String(m.total_calls);
    $('m-bookings').textContent = m.appointments_booked === undefined ? '-' : String(m.appointments_booked);
    $('m-conversion').textContent = m.conversion_rate_percent === null || m.conversion_rate_percent === undefined
      ? '-' : Number(m.conversion_rate_percent).toFixed(1) + '%';
    $('m-cost').textContent = money(m.total_cost);
    $('m-imported').textContent = m.leads_imported === undefined || m.leads_imported === null ? '0' : String(m.leads_imported);
  }

  async function loadMetrics() {
    var today = localDate(new Date());
    $('today-date').textContent = new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'long', day: 'numeric', month: 'long' }).format(new Date());
    showMetrics(await api('/api/analytics/metrics?from=' + today + '&to=' + today));
  }

  // ---- the assistant: drift is never silent -----------------------------------------------------------

  async function loadAssistant() {
    var note = $('assistant-drift');
    try {
      var a = await api('/api/clients/me/assistant');
      if (a && a.assistantId && a.upToDate === false) {
        note.textContent = 'Your voice assistant is out of date (' + (a.drift || []).join(', ') +
          ' changed). Open the onboarding page to bring it up to date.';
        note.hidden = false;
        return;
      }
    } catch (e) {
      // no assistant endpoint answer (Vapi not configured on this hub): nothing to say
    }
    note.hidden = true;
  }

  // ---- calls -------------------------------------------------------------------------------------------

  function renderCalls() {
    var list = $('calls');
    var items = Array.from(calls.values()).sort(function (a, b) { return b.seen - a.seen; }).slice(0, MAX_CALLS);
    list.replaceChildren();
    items.forEach(function (c) {
      var li = el('li');
      li.dataset.callId = c.vapiCallId;
      var name = c.leadId && leadNames.get(c.leadId) ? leadNames.get(c.leadId) : c.leadId ? 'Lead ' + c.leadId : 'Call';
      var what = el('span', 'what', name);
      what.appendChild(el('span', 'badge ' + (c.ended ? 'ended' : 'in-progress'), c.ended ? 'ended' : 'in progress'));
      li.appendChild(what);
      var detail = c.ended
        ? [words(c.outcome) || 'no outcome', duration(c.durationSeconds), clock(c.endedAt)].filter(Boolean).join(' · ')
        : 'since ' + clock(c.startedAt);
      li.appendChild(el('span', 'detail', detail));
      list.appendChild(li);
    });
    $('calls-empty').hidden = items.length > 0;
  }

  function callStarted(e) {
    var d = e.data;
    var c = calls.get(d.vapiCallId) || { vapiCallId: d.vapiCallId, seen: e.id };
    if (!c.ended) {
      c.leadId = d.leadId;
      c.startedAt = c.startedAt || e.at;
    }
    calls.set(d.vapiCallId, c);
    renderCalls();
  }

  function callEnded(e) {
    var d = e.data;
    var c = calls.get(d.vapiCallId) || { vapiCallId: d.vapiCallId };
    c.seen = e.id;
    c.ended = true;
    c.leadId = d.leadId;
    c.outcome = d.outcome;
    c.durationSeconds = d.durationSeconds;
    c.startedAt = d.startedAt;
    c.endedAt = d.endedAt || e.at;
    calls.set(d.vapiCallId, c);
    renderCalls();
  }

  // ---- appointments ------------------------------------------------------------------------------------

  function renderAppointments() {
    var list = $('appointments');
    var now = Date.now();
    var items = Array.from(appointments.values())
      .filter(function (a) { return a.status === 'booked' && new Date(a.end || a.start).getTime() > now; })
      .sort(function (a, b) { return new Date(a.start) - new Date(b.start); })
      .slice(0, 10);
    list.replaceChildren();
    items.forEach(function (a) {
      var li = el('li', a.newUntil && a.newUntil > now ? 'new' : '');
      li.dataset.appointmentId = String(a.id);
      var what = el('span', 'what', a.customerName || 'Appointment ' + a.id);
      if (a.newUntil && a.newUntil > now) { what.appendChild(el('span', 'badge new', 'new')); }
      li.appendChild(what);
      li.appendChild(el('span', 'detail', [when(a.start), a.service].filter(Boolean).join(' · ')));
      list.appendChild(li);
    });
    $('appointments-empty').hidden = items.length > 0;
  }

  async function loadAppointments() {
    var page = await api('/api/appointments?status=booked&from=' + encodeURIComponent(new Date().toISOString()) + '&pageSize=10');
    (page.items || []).forEach(function (a) {
      var known = appointments.get(a.id);
      appointments.set(a.id, { id: a.id, customerName: a.customerName, service: a.service, start: a.start, end: a.end, status: a.status,
        newUntil: known ? known.newUntil : 0 });
    });
    renderAppointments();
  }

  function appointmentChanged(e, highlight) {
    var d = e.data;
    var known = appointments.get(d.appointmentId) || {};
    appointments.set(d.appointmentId, { id: d.appointmentId, customerName: d.customerName, service: d.service, start: d.start, end: d.end,
      status: d.status || (e.type === 'appointment_cancelled' ? 'cancelled' : 'booked'),
      newUntil: highlight ? Date.now() + NEW_MS : known.newUntil || 0 });
    renderAppointments();
    if (highlight) { setTimeout(renderAppointments, NEW_MS + 100); }
  }

  // ---- the 14-day trend (SVG bars) -------------------------------------------------------------------

  var SVG = 'http://www.w3.org/2000/svg';

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function drawTrend(rows) {
    var w = 700, h = 220, left = 30, bottom = 30, top = 24;
    var most = Math.max(1, Math.max.apply(null, rows.map(function (r) { return r.calls || 0; })));
    var chart = svg('svg', { viewBox: '0 0 ' + w + ' ' + h, role: 'img', 'aria-labelledby': 'trend-title', focusable: 'false' });
    var legend = svg('g', { 'class': 'legend' });
    legend.appendChild(svg('rect', { x: left, y: 4, width: 12, height: 12, 'class': 'calls' }));
    legend.appendChild(svg('text', { x: left + 16, y: 14 }, 'Calls'));
    legend.appendChild(svg('rect', { x: left + 70, y: 4, width: 12, height: 12, 'class': 'booked' }));
    legend.appendChild(svg('text', { x: left + 86, y: 14 }, 'Bookings'));
    chart.appendChild(legend);
    chart.appendChild(svg('text', { x: 0, y: top + 10 }, String(most)));
    chart.appendChild(svg('text', { x: 0, y: h - bottom }, '0'));
    var slot = (w - left) / rows.length;
    var scale = (h - bottom - top) / most;
    var body = $('trend-table').tBodies[0];
    body.replaceChildren();
    rows.forEach(function (r, i) {
      var x = left + i * slot + slot * 0.15;
      var bw = slot * 0.7;
      var ch = (r.calls || 0) * scale;
      var bh = (r.booked || 0) * scale;
      var g = svg('g', { 'class': 'day' });
      var bar = svg('rect', { x: x, y: h - bottom - ch, width: bw, height: ch, 'class': 'calls' });
      bar.appendChild(svg('title', {}, r.date + ': ' + r.calls + ' calls, ' + r.booked + ' bookings'));
      g.appendChild(bar);
      g.appendChild(svg('rect', { x: x + bw * 0.2, y: h - bottom - bh, width: bw * 0.6, height: bh, 'class': 'booked' }));
      g.appendChild(svg('text', { x: x + bw / 2, y: h - bottom + 14, 'text-anchor': 'middle' }, r.date.slice(8, 10) + '/' + r.date.slice(5, 7)));
      chart.appendChild(g);
      var tr = document.createElement('tr');
      tr.appendChild(el('td', '', r.date));
      tr.appendChild(el('td', '', String(r.calls)));
      tr.appendChild(el('td', '', String(r.booked)));
      body.appendChild(tr);
    });
    $('trend').replaceChildren(chart);
  }

  async function loadTrend() {
    var today = localDate(new Date());
    var t = await api('/api/analytics/trend?from=' + addDays(today, 1 - TREND_DAYS) + '&to=' + today + '&step=day');
    drawTrend(t.rows || []);
  }

  // ---- the last import ---------------------------------------------------------------------------------

  function leadImported(e) {
    var d = e.data;
    var box = $('import');
    box.replaceChildren();
    box.appendChild(el('p', 'what', words(d.status) + ' · ' + (d.rowsDone || 0) + ' of ' + (d.rowsTotal || 0) + ' rows · ' + clock(d.finishedAt || e.at)));
    var dl = el('dl', 'numbers');
    Object.keys(d.counts || {}).forEach(function (k) {
      var div = el('div');
      div.appendChild(el('dt', '', words(k)));
      div.appendChild(el('dd', '', String(d.counts[k])));
      dl.appendChild(div);
    });
    box.appendChild(dl);
  }

  // ---- the live stream ---------------------------------------------------------------------------------

  var handlers = {
    call_started: callStarted,
    call_ended: callEnded,
    appointment_booked: function (e) { appointmentChanged(e, true); },
    appointment_moved: function (e) { appointmentChanged(e, false); },
    appointment_cancelled: function (e) { appointmentChanged(e, false); },
    lead_status_changed: function (e) { if (e.data.leadId && e.data.name) { leadNames.set(e.data.leadId, e.data.name); } },
    lead_imported: leadImported,
    message_status: function () { /* not shown */ }
  };

  handlers.metrics = function (e) {
    showMetrics(e && e.data && e.data.total_calls !== undefined ? e.data : e);
  };
  // what was missed is no longer kept: follow from here and reload what the page shows
  handlers.reset = function () { refresh(); };

  function connect() {
    var mine = session;
    S.follow(handlers, function (state) { if (mine === session) { connection(state); } },
      function (message) { if (mine === session) { signOut(message); } });
  }

  function refresh() {
    return Promise.all([loadMetrics(), loadAppointments(), loadTrend(), loadAssistant()]).catch(function (e) {
      if (e instanceof S.SignInError) { signOut(e.message); } else { $('sign-in-error').textContent = e.message; }
    });
  }

  // ---- sign in, sign out -------------------------------------------------------------------------------

  async function signIn(event) {
    event.preventDefault();
    var input = $('api-key');
    var key = input.value.trim();
    input.value = ''; // the key lives in session.js's memory only, not in the DOM
    $('sign-in-error').textContent = '';
    if (!key) { $('sign-in-error').textContent = 'Enter your API key.'; input.focus(); return; }
    session++;
    $('sign-in-button').disabled = true;
    try {
      var me = await S.signIn(key);
      zone = me.timezone || zone;
      $('business').textContent = me.businessName || 'Dashboard';
      $('zone').textContent = zone;
      $('sign-in').hidden = true;
      $('main').hidden = false;
      $('sign-out').hidden = false;
      $('main').focus();
      connection('reconnecting');
      connect(); // first, so that nothing committed while the numbers load is missed
      await refresh();
    } catch (e) {
      forget();
      $('sign-in-error').textContent = e.message;
      input.focus();
    } finally {
      $('sign-in-button').disabled = false;
    }
  }

  function forget() {
    session++;
    S.forget();
    calls.clear();
    appointments.clear();
    leadNames.clear();
    connection('offline');
  }

  function signOut(message) {
    forget();
    $('main').hidden = true;
    $('sign-out').hidden = true;
    $('sign-in').hidden = false;
    $('business').textContent = 'Dashboard';
    $('calls').replaceChildren();
    $('appointments').replaceChildren();
    $('trend').replaceChildren();
    $('sign-in-error').textContent = typeof message === 'string' ? message : '';
    $('api-key').focus();
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('sign-in-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', function () { signOut(''); });
    connection('offline');
    $('api-key').focus();
  });
})();
