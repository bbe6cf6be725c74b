// The onboarding wizard (GET /onboarding): six screens that set a new business up, each saved as it goes
// through the hub's own API, so the owner can leave and come back (sign in again with the API key).
// Plain JavaScript, nothing from another host. Signing in and the event stream: session.js (HubSession).
//
// The key: from the verification link's redirect (/onboarding#key=…, read once and removed from the address
// bar with history.replaceState) or typed into the form; held by HubSession in memory only.
(function () {
  'use strict';

  var S = window.HubSession;
  var STEPS = ['business', 'hours', 'calendar', 'assistant', 'messages', 'test'];
  var DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'], ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
  var KINDS = [['confirmation', 'Booking confirmation'], ['reminder_24h', 'Reminder a day before'], ['reminder_1h', 'Reminder an hour before'],
    ['follow_up', 'Follow-up (did not book)']];

  var me = null;          // GET /api/clients/me
  var status = null;      // GET /api/onboarding/status
  var current = null;     // the step shown
  var test = null;        // the test call followed: {testId, vapiCallId, appointmentIds: Set}
  var keyShown = false;

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) { e.className = className; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  /** A refusal in words: the hub's message and each field it named. */
  function explain(e) {
    if (!(e instanceof S.ApiError)) { return e.message || String(e); }
    var parts = [e.message];
    var fields = e.body.fields;
    if (fields && typeof fields === 'object' && !Array.isArray(fields)) {
      Object.keys(fields).forEach(function (f) { if (e.message.indexOf(f + ':') < 0) { parts.push(f + ': ' + fields[f]); } });
    }
    if (Array.isArray(e.body.problems)) {
      e.body.problems.forEach(function (p) {
        var t = typeof p === 'string' ? p : p.field + ': ' + p.reason;
        if (e.message.indexOf(t) < 0) { parts.push(t); }
      });
    }
    return parts.join(' · ');
  }

  function markInvalid(form, e) {
    form.querySelectorAll('[aria-invalid]').forEach(function (x) { x.removeAttribute('aria-invalid'); });
    var fields = e instanceof S.ApiError && e.body.fields && typeof e.body.fields === 'object' ? Object.keys(e.body.fields) : [];
    fields.forEach(function (f) {
      var input = form.querySelector('[name="' + f + '"]') || form.querySelector('[data-field="' + f + '"]');
      if (input) { input.setAttribute('aria-invalid', 'true'); }
    });
  }

  function connection(state) {
    var c = $('connection');
    c.className = 'connection ' + state;
    c.dataset.state = state;
    c.textContent = state === 'live' ? 'Live' : state === 'reconnecting' ? 'Reconnecting…' : 'Not connected';
  }

  // ---- navigation ------------------------------------------------------------------------------------

  function show(step) {
    current = step;
    STEPS.forEach(function (s) { $('step-' + s).hidden = s !== step; });
    document.querySelectorAll('#progress button').forEach(function (b) {
      if (b.dataset.step === step) { b.setAttribute('aria-current', 'step'); } else { b.removeAttribute('aria-current'); }
    });
    document.body.dataset.step = step;
    var load = { business: loadBusiness, hours: loadHours, calendar: loadCalendar, assistant: loadAssistant, messages: loadMessages, test: loadTest }[step];
    var errors = { business: 'business-error', hours: 'hours-error', calendar: 'calendar-error', assistant: 'numbers-error', messages: 'templates', test: 'test-error' };
    var section = $('step-' + step);
    section.dataset.ready = 'false';
    section.setAttribute('aria-busy', 'true');
    Promise.resolve().then(load).catch(function (e) { $(errors[step]).textContent = explain(e); }).then(function () {
      section.dataset.ready = 'true';
      section.removeAttribute('aria-busy');
    });
    $(step + '-title').focus();
  }

  function next() {
    var i = STEPS.indexOf(current);
    refreshStatus().then(function () { show(STEPS[Math.min(i + 1, STEPS.length - 1)]); });
  }

  function back() {
    var i = STEPS.indexOf(current);
    show(STEPS[Math.max(i - 1, 0)]);
  }

  async function refreshStatus() {
    status = await S.api('/api/onboarding/status');
    (status.steps || []).forEach(function (s) {
      var b = document.querySelector('#progress button[data-step="' + s.id + '"]');
      if (b) {
        b.classList.toggle('done', !!s.done);
        b.setAttribute('aria-label', b.textContent.replace(/ ✓$/, '') + (s.done ? ' (done)' : ' (to do)'));
      }
    });
    return status;
  }

  function stepStatus(id) {
    return ((status && status.steps) || []).filter(function (s) { return s.id === id; })[0] || {};
  }

  // ---- 1. business -----------------------------------------------------------------------------------

  function serviceRow(s) {
    var tr = el('tr');
    function cell(type, value, label, attrs) {
      var td = el('td');
      td.dataset.label = label;
      var input = el('input');
      input.type = type;
      input.value = value === null || value === undefined ? '' : value;
      input.setAttribute('aria-label', label);
      Object.keys(attrs || {}).forEach(function (k) { input.setAttribute(k, attrs[k]); });
      td.appendChild(input);
      tr.appendChild(td);
      return input;
    }
    cell('text', s.name, 'Service name', { 'data-col': 'name' });
    cell('number', s.minutes || 60, 'Minutes', { min: 5, max: 480, step: 5, 'data-col': 'minutes' });
    cell('number', s.bufferMinutes || 0, 'Buffer after (minutes)', { min: 0, max: 240, step: 5, 'data-col': 'bufferMinutes' });
    cell('number', s.price, 'Price in pounds', { min: 0, step: '0.01', 'data-col': 'price' });
    var td = el('td');
    var remove = el('button', 'secondary', 'Remove');
    remove.type = 'button';
    remove.addEventListener('click', function () { tr.remove(); });
    td.appendChild(remove);
    tr.appendChild(td);
    return tr;
  }

  async function loadBusiness() {
    var b = await S.api('/api/onboarding/business');
    $('b-name').value = b.businessName || '';
    $('b-email').value = b.email || '';
    $('b-phone').value = b.phone || '';
    $('b-industry').value = b.industry || '';
    $('b-timezone').value = b.timezone || 'Europe/London';
    $('b-link').value = b.bookingLink || '';
    var body = $('services');
    body.replaceChildren();
    var services = b.services && b.services.length ? b.services : [{ name: '', minutes: 60, bufferMinutes: 0, price: null }];
    services.forEach(function (s) { body.appendChild(serviceRow(s)); });
  }

  async function saveBusiness(event) {
    event.preventDefault();
    var services = Array.from($('services').rows).map(function (tr) {
      function v(col) { return tr.querySelector('[data-col="' + col + '"]').value.trim(); }
      var s = { name: v('name'), minutes: Number(v('minutes')), bufferMinutes: Number(v('bufferMinutes') || 0) };
      s.price = v('price') === '' ? null : Number(v('price'));
      return s;
    }).filter(function (s) { return s.name || s.price !== null; });
    var body = { businessName: $('b-name').value.trim(), industry: $('b-industry').value.trim(), timezone: $('b-timezone').value.trim(), services: services };
    if ($('b-link').value.trim()) { body.bookingLink = $('b-link').value.trim(); }
    $('business-error').textContent = '';
    try {
      var saved = await S.api('/api/onboarding/business', { method: 'PUT', body: body });
      $('business').textContent = saved.businessName;
      $('business-saved').textContent = 'Saved.';
      next();
    } catch (e) {
      markInvalid($('business-form'), e);
      $('business-error').textContent = explain(e);
    }
  }

  // ---- settings (read whole, change, write whole: a PUT replaces the booking rules) -----------------------

  async function settings() {
    return S.api('/api/clients/' + encodeURIComponent(me.clientKey) + '/settings');
  }

  async function saveSettings(change) {
    var s = await settings();
    delete s.unreadable;
    if (s.calling === null) { delete s.calling; }
    if (s.analytics === null) { delete s.analytics; }
    change(s);
    return S.api('/api/clients/' + encodeURIComponent(me.clientKey) + '/settings', { method: 'PUT', body: s });
  }

  // ---- 2. hours --------------------------------------------------------------------------------------

  async function loadHours() {
    var s = await settings();
    var body = $('hours');
    body.replaceChildren();
    DAYS.forEach(function (d) {
      var ranges = (s.businessHours || {})[d[0]] || [];
      var tr = el('tr');
      tr.dataset.day = d[0];
      tr.appendChild(el('th', '', d[1])).setAttribute('scope', 'row');
      var open = el('input');
      open.type = 'checkbox';
      open.checked = ranges.length > 0;
      open.setAttribute('aria-label', d[1] + ' open');
      open.dataset.col = 'open';
      var from = el('input');
      from.type = 'time';
      from.value = ranges.length ? ranges[0][0] : '09:00';
      from.setAttribute('aria-label', d[1] + ' opens at');
      from.dataset.col = 'from';
      var to = el('input');
      to.type = 'time';
      to.value = ranges.length ? ranges[0][1] : '17:00';
      to.setAttribute('aria-label', d[1] + ' closes at');
      to.dataset.col = 'to';
      [open, from, to].forEach(function (x) { var td = el('td'); td.appendChild(x); tr.appendChild(td); });
      body.appendChild(tr);
    });
    $('h-slot').value = s.slotMinutes;
    $('h-notice').value = s.minNoticeMinutes;
    await loadSlots();
  }

  async function loadSlots() {
    var p = await S.api('/api/onboarding/slots-preview?days=7');
    var box = $('slots');
    box.replaceChildren();
    var dl = el('dl', 'slot-days');
    p.days.forEach(function (d) {
      var label = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(d.date + 'T12:00:00Z'));
      dl.appendChild(el('dt', '', label));
      dl.appendChild(el('dd', d.times.length ? '' : 'muted', d.times.length ? d.times.join(', ') : 'closed or full'));
    });
    box.appendChild(dl);
    box.dataset.total = String(p.total);
  }

  async function saveHours(event) {
    event.preventDefault();
    $('hours-error').textContent = '';
    var hours = {};
    Array.from($('hours').rows).forEach(function (tr) {
      var q = function (c) { return tr.querySelector('[data-col="' + c + '"]'); };
      hours[tr.dataset.day] = q('open').checked ? [[q('from').value, q('to').value]] : [];
    });
    try {
      await saveSettings(function (s) {
        s.businessHours = hours;
        s.slotMinutes = Number($('h-slot').value);
        s.minNoticeMinutes = Number($('h-notice').value);
      });
      $('hours-saved').textContent = 'Saved.';
      await loadSlots();
      next();
    } catch (e) {
      markInvalid($('hours-form'), e);
      $('hours-error').textContent = explain(e);
    }
  }

  // ---- 3. calendar -----------------------------------------------------------------------------------

  function when(iso) {
    return new Intl.DateTimeFormat('en-GB', { timeZone: me.timezone || 'Europe/London', weekday: 'short', day: 'numeric', month: 'short',
      hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
  }

  function showCalendar(r) {
    var box = $('calendar-result');
    box.replaceChildren();
    if (!r) { return; }
    box.dataset.ok = String(!!r.ok);
    if (r.ok) {
      box.appendChild(el('p', 'good', 'The hub can read ' + r.calendarId + '. Busy in the next 7 days: ' + (r.busy.length ? r.busy.length + ' block(s)' : 'nothing') + '.'));
      var ul = el('ul', 'list');
      r.busy.forEach(function (b) { ul.appendChild(el('li', '', when(b.start) + ' – ' + when(b.end))); });
      box.appendChild(ul);
    } else {
      box.appendChild(el('p', 'error', 'Not readable: ' + (r.reason || 'unknown')));
    }
  }

  async function loadCalendar() {
    $('service-account').textContent = (status && status.hub && status.hub.serviceAccountEmail) || "the hub's service account";
    var s = await settings();
    $('c-id').value = s.googleCalendarId || '';
    var last = stepStatus('calendar').lastCheck;
    showCalendar(last && last.subject === s.googleCalendarId ? last.detail : null);
  }

  async function checkCalendar(event) {
    event.preventDefault();
    $('calendar-error').textContent = '';
    var id = $('c-id').value.trim();
    try {
      await saveSettings(function (s) { s.googleCalendarId = id || null; });
      showCalendar(await S.api('/api/onboarding/calendar-check', { method: 'POST' }));
      await refreshStatus();
    } catch (e) {
      $('calendar-error').textContent = explain(e);
    }
  }

  // ---- 4. assistant and numbers --------------------------------------------------------------------------

  function showAssistant(a) {
    var box = $('assistant');
    box.replaceChildren();
    var r = a.rendered || {};
    var voice = r.voice ? [r.voice.provider, r.voice.voiceId].filter(Boolean).join(' · ') : 'the default voice';
    var dl = el('dl');
    dl.appendChild(el('dt', '', 'First message'));
    dl.appendChild(el('dd', 'first-message', r.firstMessage || '(none)'));
    dl.appendChild(el('dt', '', 'Voice'));
    dl.appendChild(el('dd', 'voice', voice));
    dl.appendChild(el('dt', '', 'Assistant'));
    dl.appendChild(el('dd', '', (a.assistantId || 'not created yet') + (a.upToDate === false ? ' (out of date: it will be synced)' : '')));
    box.appendChild(dl);
    if (a.lastError) { box.appendChild(el('p', 'error', 'Last error: ' + a.lastError)); }
    $('assistant-create').hidden = !!a.assistantId;
  }

  async function loadAssistant() {
    var shared = (status && status.hub && status.hub.shared) || {};
    $('shared-numbers').textContent = [shared.vapiPhoneNumberId ? 'Vapi ' + shared.vapiPhoneNumberId : 'no shared Vapi number',
      shared.smsFromNumber ? 'SMS ' + shared.smsFromNumber : shared.messagingServiceSid ? 'SMS service ' + shared.messagingServiceSid : 'no shared SMS sender'].join(', ');
    me = await S.api('/api/clients/me');
    $('n-vapi').value = me.vapiPhoneNumberId || '';
    $('n-sms').value = me.smsFromNumber || '';
    var last = stepStatus('assistant').lastCheck;
    showNumbers(last ? last.detail : null);
    try {
      showAssistant(await S.api('/api/clients/me/assistant'));
    } catch (e) {
      if (e instanceof S.ApiError && e.status === 404) {
        // no assistant endpoint on this hub yet, or none made: what the client record says
        showAssistant({ assistantId: me.vapiAssistantId, rendered: {} });
        $('assistant-create').hidden = !!me.vapiAssistantId;
      } else {
        $('assistant').replaceChildren(el('p', 'error', explain(e)));
      }
    }
  }

  async function createAssistant() {
    try {
      await S.api('/api/clients/me/assistant', { method: 'POST' });
      await loadAssistant();
      await refreshStatus();
    } catch (e) {
      $('assistant').appendChild(el('p', 'error', 'Not created: ' + explain(e) + ' You can try again.'));
    }
  }

  function showNumbers(r) {
    var box = $('numbers-result');
    box.replaceChildren();
    if (!r) { return; }
    box.dataset.ok = String(!!r.ok);
    [['Vapi', r.vapi], ['Twilio', r.twilio]].forEach(function (p) {
      var x = p[1] || {};
      var what = p[0] === 'Vapi' ? (x.phoneNumberId + (x.number ? ' (' + x.number + ')' : '')) : (x.smsFromNumber || x.messagingServiceSid || '');
      box.appendChild(el('p', x.ok ? 'good' : 'error', p[0] + ': ' + what + (x.shared ? ' (shared)' : '') + ' - ' + (x.ok ? 'found' : x.reason)));
    });
  }

  async function checkNumbers(event) {
    event.preventDefault();
    $('numbers-error').textContent = '';
    var body = {};
    if ($('n-vapi').value.trim()) { body.vapiPhoneNumberId = $('n-vapi').value.trim(); }
    if ($('n-sms').value.trim()) { body.smsFromNumber = $('n-sms').value.trim(); }
    try {
      showNumbers(await S.api('/api/onboarding/numbers-check', { method: 'POST', body: body }));
      await refreshStatus();
    } catch (e) {
      markInvalid($('numbers-form'), e);
      $('numbers-error').textContent = explain(e);
    }
  }

  // ---- 5. messages -----------------------------------------------------------------------------------

  var previewTimers = {};

  async function preview(kind, textarea, out, err) {
    try {
      var p = await S.api('/api/templates/preview', { method: 'POST', body: { kind: kind, channel: 'sms', body: textarea.value } });
      out.textContent = p.rendered.body;
      err.textContent = '';
      textarea.removeAttribute('aria-invalid');
    } catch (e) {
      err.textContent = explain(e);
      textarea.setAttribute('aria-invalid', 'true');
    }
  }

  async function loadMessages() {
    var t = await S.api('/api/templates');
    var box = $('templates');
    box.replaceChildren();
    var missing = stepStatus('messages').missing || [];
    if (missing.length) { box.appendChild(el('p', 'error', 'To fix: ' + missing.join('; '))); }
    KINDS.forEach(function (k) {
      var item = (t.items || []).filter(function (i) { return i.kind === k[0] && i.channel === 'sms'; })[0] || {};
      var wrap = el('div', 'template');
      wrap.dataset.kind = k[0];
      var id = 't-' + k[0];
      var label = el('label', '', k[1]);
      label.htmlFor = id;
      var area = el('textarea');
      area.id = id;
      area.rows = 3;
      area.value = item.body || '';
      area.setAttribute('aria-describedby', id + '-preview ' + id + '-error');
      var out = el('p', 'preview');
      out.id = id + '-preview';
      out.setAttribute('aria-live', 'polite');
      var err = el('p', 'error');
      err.id = id + '-error';
      err.setAttribute('role', 'alert');
      var saved = el('span', 'saved');
      saved.setAttribute('role', 'status');
      var save = el('button', 'secondary', 'Save');
      save.type = 'button';
      save.addEventListener('click', async function () {
        try {
          await S.api('/api/templates/' + k[0] + '/sms', { method: 'PUT', body: { body: area.value } });
          saved.textContent = ' Saved.';
          err.textContent = '';
          await refreshStatus();
        } catch (e) {
          err.textContent = explain(e);
        }
      });
      area.addEventListener('input', function () {
        saved.textContent = '';
        clearTimeout(previewTimers[k[0]]);
        previewTimers[k[0]] = setTimeout(function () { preview(k[0], area, out, err); }, 400);
      });
      [label, area, el('p', 'help', 'Preview:'), out, err, save, saved].forEach(function (x) { wrap.appendChild(x); });
      box.appendChild(wrap);
      preview(k[0], area, out, err);
    });
  }

  // ---- 6. the test call --------------------------------------------------------------------------------

  function check(name, state, detail) {
    var li = document.querySelector('#test-steps [data-check="' + name + '"]');
    if (!li) { return; }
    li.dataset.state = state;
    var base = li.dataset.label || (li.dataset.label = li.textContent);
    li.textContent = base + (state === 'done' ? ' ✓' : state === 'failed' ? ' ✗' : '') + (detail ? ' - ' + detail : '');
  }

  function resetChecks() {
    document.querySelectorAll('#test-steps li').forEach(function (li) { check(li.dataset.check, 'waiting'); });
  }

  function ours(e) {
    return test && e && e.data && ((e.data.testId && String(e.data.testId) === String(test.testId))
      || (e.data.vapiCallId && e.data.vapiCallId === test.vapiCallId)
      || (e.data.appointmentId && test.appointmentIds.has(e.data.appointmentId)));
  }

  var handlers = {
    onboarding_test: function (e) {
      if (!ours(e)) { return; }
      var d = e.data;
      if (d.vapiCallId) { test.vapiCallId = d.vapiCallId; }
      if (d.step === 'placed') { check('placed', 'done'); }
      if (d.step === 'tool_call') { check('tools', d.ok ? 'done' : 'failed', d.name); }
      if (d.step === 'report') { check('report', 'done', d.endedReason); }
      if (d.step === 'finished' || d.step === 'failed') { finished(d); }
    },
    call_started: function (e) { if (ours(e)) { check('answered', 'done'); } },
    call_ended: function (e) { if (ours(e)) { check('answered', 'done'); } },
    appointment_booked: function (e) {
      if (!ours(e)) { return; }
      test.appointmentIds.add(e.data.appointmentId);
      check('booked', 'done', e.data.service ? e.data.service + ', ' + when(e.data.start) : when(e.data.start));
    },
    message_status: function (e) {
      if (!ours(e) || e.data.kind !== 'confirmation' || e.data.channel !== 'sms') { return; }
      check('sms', e.data.status === 'delivered' ? 'done' : 'failed', e.data.status);
    },
    appointment_cancelled: function (e) { if (ours(e)) { check('cancelled', 'done'); } }
  };

  function finished(d) {
    (d.appointmentIds || []).forEach(function (id) { test.appointmentIds.add(id); });
    if (d.cancelled && d.cancelled.length) { check('cancelled', 'done'); }
    if (d.reportReceived) { check('report', 'done'); }
    $('test-call').disabled = false;
    $('test-result').dataset.ok = String(!!d.ok);
    $('test-result').textContent = d.ok ? 'The test call worked end to end.' : 'The test call did not complete: ' + (d.missing || []).join('; ');
    refreshStatus().then(showFinish);
  }

  function showFinish() {
    if (!status || !status.complete) { $('finish').hidden = true; return; }
    var h = status.hub || {};
    $('final-key').textContent = keyShown ? '(hidden)' : (S.key() || '');
    $('dashboard-link').href = '/dashboard';
    $('dashboard-link').textContent = h.dashboardUrl || '/dashboard';
    $('wh-vapi').textContent = (h.webhooks || {}).vapiServerUrl || '';
    $('wh-sms').textContent = (h.webhooks || {}).twilioIncomingSms || '';
    $('wh-status').textContent = (h.webhooks || {}).twilioStatusCallback || '';
    $('finish').hidden = false;
    $('finish-title').focus();
  }

  async function loadTest() {
    $('owner-phone').textContent = (status && status.hub && status.hub.ownerPhone) || (me && me.phone) || 'your phone';
    var last = stepStatus('test').lastTestCall;
    if (!test && last) {
      var r = last.result || {};
      resetChecks();
      if (last.status === 'finished' || last.status === 'failed') {
        test = { testId: last.testId, vapiCallId: last.vapiCallId, appointmentIds: new Set(r.appointmentIds || []) };
        check('placed', 'done');
        if (r.booked) { check('booked', 'done'); check('tools', 'done'); check('answered', 'done'); }
        if (r.confirmation) { check('sms', r.confirmation === 'delivered' || r.confirmation === 'sent' ? 'done' : 'failed', r.confirmation); }
        finished(Object.assign({ ok: last.ok }, r));
      }
    }
    showFinish();
  }

  async function startTest() {
    $('test-error').textContent = '';
    $('test-result').textContent = '';
    $('finish').hidden = true;
    resetChecks();
    $('test-call').disabled = true;
    try {
      var t = await S.api('/api/onboarding/test-call', { method: 'POST' });
      test = { testId: t.testId, vapiCallId: t.vapiCallId, appointmentIds: new Set() };
      check('placed', 'done');
    } catch (e) {
      $('test-call').disabled = false;
      $('test-error').textContent = explain(e);
    }
  }

  // ---- sign in ------------------------------------------------------------------------------------------

  async function begin(key) {
    $('sign-in-error').textContent = '';
    $('sign-in-button').disabled = true;
    try {
      me = await S.signIn(key);
      $('business').textContent = me.businessName || 'Set up your booking assistant';
      $('sign-in').hidden = true;
      $('progress').hidden = false;
      $('wizard').hidden = false;
      S.follow(handlers, connection);
      await refreshStatus();
      var todo = (status.steps || []).filter(function (s) { return !s.done; })[0];
      show(todo ? todo.id : 'test');
    } catch (e) {
      S.forget();
      $('sign-in').hidden = false;
      $('sign-in-error').textContent = explain(e);
      $('api-key').focus();
    } finally {
      $('sign-in-button').disabled = false;
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    connection('offline');
    $('sign-in-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var input = $('api-key');
      var key = input.value.trim();
      input.value = ''; // in the session's memory only, not in the DOM
      if (!key) { $('sign-in-error').textContent = 'Enter your API key.'; input.focus(); return; }
      begin(key);
    });
    document.querySelectorAll('#progress button').forEach(function (b) { b.addEventListener('click', function () { show(b.dataset.step); }); });
    document.querySelectorAll('[data-back]').forEach(function (b) { b.addEventListener('click', back); });
    $('business-form').addEventListener('submit', saveBusiness);
    $('add-service').addEventListener('click', function () { $('services').appendChild(serviceRow({ minutes: 60, bufferMinutes: 0 })); });
    $('hours-form').addEventListener('submit', saveHours);
    $('calendar-form').addEventListener('submit', checkCalendar);
    $('calendar-next').addEventListener('click', next);
    $('assistant-create').addEventListener('click', createAssistant);
    $('numbers-form').addEventListener('submit', checkNumbers);
    $('numbers-next').addEventListener('click', next);
    $('messages-next').addEventListener('click', next);
    $('test-call').addEventListener('click', startTest);
    $('hide-key').addEventListener('click', function () { keyShown = true; $('final-key').textContent = '(hidden)'; });
    // the verification link's redirect: /onboarding#key=<API key>; read once, then gone from the address bar and history
    if (!keyFromFragment()) { $('api-key').focus(); }
    window.addEventListener('hashchange', keyFromFragment);
  });

  /** A key in the fragment (#key=…): taken, removed from the address bar at once, and signed in with. */
  function keyFromFragment() {
    var m = /^#key=([^&]+)/.exec(location.hash);
    if (!m) { return false; }
    history.replaceState(null, '', location.pathname + location.search);
    begin(decodeURIComponent(m[1]));
    return true;
  }
})();
