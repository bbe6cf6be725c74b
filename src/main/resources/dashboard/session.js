// Signing in with a client's API key and following its event stream: what the dashboard (GET /dashboard)
// and the onboarding wizard (GET /onboarding) both use. Plain JavaScript, no library.
//
// Credentials: the API key lives in this closure only (never in localStorage, sessionStorage, a cookie or
// the DOM) and is exchanged for a short-lived token (POST /api/auth/token), renewed before it expires or
// when refused; every call sends `Authorization: Bearer <token>`. forget() drops both at once.
//
// The stream: EventSource cannot send headers, so each connection takes a single-use ticket (POST
// /api/events/ticket) and opens /api/events?ticket=…&lastEventId=<last id seen>; on any error the
// EventSource is closed (its own retry would reuse the spent ticket) and reopened with a new ticket from
// the last id, with back-off: nothing missed, nothing doubled.
(function () {
  'use strict';

  var RECONNECT_MIN_MS = 500;
  var RECONNECT_MAX_MS = 15000;

  var apiKey = null;
  var token = null;
  var tokenRenewAt = 0;
  var session = 0;
  var source = null;
  var reconnectTimer = null;
  var reconnectDelay = RECONNECT_MIN_MS;
  var lastEventId = null;
  var inflight = new Set();   // the API calls under way (what a page or its test may wait for)

  /** A refused API call: its HTTP status and the hub's JSON answer (error, fields, problems). */
  function ApiError(status, body, path) {
    this.status = status;
    this.body = body || {};
    this.message = (this.body.error || ('HTTP ' + status)) + '';
    this.path = path;
  }

  function SignInError(message) { this.message = message; }

  async function readJson(r) {
    try { return await r.json(); } catch (e) { return null; }
  }

  async function newToken() {
    var mine = session;
    var r = await fetch('/api/auth/token', { method: 'POST', headers: { 'X-API-Key': apiKey }, cache: 'no-store', credentials: 'omit' });
    var body = await readJson(r);
    if (mine !== session) { throw new Error('signed out'); }
    if (r.status === 401 || r.status === 403) {
      throw new SignInError('That API key was not accepted' + (body && body.error ? ': ' + body.error : '') + '.');
    }
    if (r.status === 503) { throw new SignInError('This hub issues no sign-in tokens yet (its HUB_JWT_SECRET is not set).'); }
    if (!r.ok || !body || !body.token) { throw new Error('sign-in failed: HTTP ' + r.status); }
    token = body.token;
    var ttl = (body.expiresIn || 900) * 1000;
    tokenRenewAt = Date.now() + Math.max(ttl - 60000, ttl / 2);
  }

  /** path, {method, body (an object, sent as JSON)} -> the JSON answer; an ApiError for any refusal. */
  async function api(path, options) {
    options = options || {};
    var mine = session;
    for (var attempt = 0; attempt < 2; attempt++) {
      if (!token || Date.now() >= tokenRenewAt) { await newToken(); }
      var headers = { 'Authorization': 'Bearer ' + token, 'Accept': 'application/json' };
      var init = { method: options.method || 'GET', headers: headers, cache: 'no-store', credentials: 'omit' };
      if (options.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(options.body);
      }
      inflight.add(path);
      var r;
      try {
        r = await fetch(path, init);
      } finally {
        inflight.delete(path);
      }
      if (mine !== session) { throw new Error('signed out'); }
      if (r.status === 401 && attempt === 0) { token = null; continue; }
      var body = await readJson(r);
      if (!r.ok) { throw new ApiError(r.status, body, path.split('?')[0]); }
      return body;
    }
  }

  async function signIn(key) {
    forget();
    apiKey = key;
    session++;
    await newToken();
    return api('/api/clients/me');
  }

  function closeStream() {
    if (source) { source.close(); source = null; }
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
  }

  /**
   * Follows the caller's events: handlers[type](event) for each type named (event = {id, type, at, data}),
   * onState('live' | 'reconnecting' | 'offline'); onSignInError(message) when the key is no longer accepted.
   */
  function follow(handlers, onState, onSignInError) {
    var mine = session;
    function reconnect() {
      closeStream();
      onState('reconnecting');
      var delay = reconnectDelay;
      reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
      reconnectTimer = setTimeout(connect, delay);
    }
    async function connect() {
      reconnectTimer = null;
      var t;
      try {
        t = await api('/api/events/ticket', { method: 'POST' });
      } catch (e) {
        if (mine !== session) { return; }
        if (e instanceof SignInError) {
          onState('offline');
          if (onSignInError) { onSignInError(e.message); }
          return;
        }
        reconnect();
        return;
      }
      if (mine !== session) { return; }
      var es = new EventSource('/api/events?ticket=' + encodeURIComponent(t.ticket) + (lastEventId ? '&lastEventId=' + encodeURIComponent(lastEventId) : ''));
      source = es;
      es.onopen = function () {
        if (source !== es) { return; }
        reconnectDelay = RECONNECT_MIN_MS;
        onState('live');
      };
      es.onerror = function () {
        if (source !== es) { return; }
        reconnect();
      };
      Object.keys(handlers).forEach(function (type) {
        es.addEventListener(type, function (m) {
          if (source !== es) { return; }
          if (m.lastEventId) { lastEventId = m.lastEventId; }
          var e;
          try { e = JSON.parse(m.data); } catch (x) { return; }
          handlers[type](e);
        });
      });
    }
    onState('reconnecting');
    connect();
  }

  function forget() {
    session++;
    closeStream();
    apiKey = null;
    token = null;
    tokenRenewAt = 0;
    lastEventId = null;
    reconnectDelay = RECONNECT_MIN_MS;
  }

  /** The key the page holds (to show it once at the end of onboarding); null when signed out. */
  function key() { return apiKey; }

  window.HubSession = { pending: function () { return Array.from(inflight); }, api: api, signIn: signIn, follow: follow, forget: forget, key: key, ApiError: ApiError, SignInError: SignInError };
})();
