// The flipper console: Preact + htm, no build step, no inline script (the server's
// Content-Security-Policy allows none). State comes from /api/; the server's change feed
// (/api/events, Server-Sent Events) says when a flag changed, so changes made elsewhere (another
// tab, the CLI, a program) appear at once. Flags travel in Python's JSON dialect (python-json.js).
import { h, render } from '/console/vendor/preact.mjs';
import { useEffect, useRef, useState } from '/console/vendor/hooks.mjs';
import htm from '/console/vendor/htm.mjs';
import uPlot from '/console/vendor/uPlot.esm.js';
import { parsePython, stringifyPython } from '/console/python-json.js';

const html = htm.bind(h);
const OPERATORS = ['', 'gt', 'gte', 'lt', 'lte', 'ne', 'in', 'not_in'];
/** After the event stream fails (server restarting, too many streams), the next try. */
const RECONNECT_MS = 3000;

/** The session's CSRF token, sent with every POST and PUT; and what to do when the session is gone. */
const session = { csrfToken: undefined, onLoggedOut: () => {} };

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (method !== 'GET') init.headers['X-CSRF-Token'] = session.csrfToken || '';
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : stringifyPython(body);
  }
  const response = await fetch(`/api/${path}`, init);
  const value = parsePython(await response.text());
  if (response.status === 401 && path !== 'login') session.onLoggedOut();
  if (!response.ok) throw new Error(value.error || response.statusText);
  return value;
}

const flagPath = (name) => `flags/${encodeURIComponent(name)}`;

/** The server's change events, shared by every view: listeners get `null` (reload all) or `{changed, deleted}`. */
const changes = {
  listeners: new Set(),
  source: undefined,
  start() {
    if (this.source) return;
    const source = new EventSource('/api/events');
    this.source = source;
    const tell = (event) => this.listeners.forEach((listener) => listener(event));
    source.addEventListener('reload', () => tell(null));
    source.addEventListener('change', (e) => tell(JSON.parse(e.data)));
    source.addEventListener('error', () => {
      // A refused stream (503, 401) is not retried by the browser: try again later, and reload then.
      if (source.readyState !== EventSource.CLOSED) return;
      this.stop();
      setTimeout(() => this.listeners.size && this.start(), RECONNECT_MS);
    });
  },
  stop() {
    this.source?.close();
    this.source = undefined;
  },
};

/** The value at `path`, read again whenever the change feed says `name` (any flag, without) changed. */
function useLive(path, name) {
  const [value, setValue] = useState(undefined);
  const [error, setError] = useState('');
  const load = () =>
    api('GET', path).then(
      (v) => (setValue(v), setError('')),
      (e) => setError(e.message),
    );
  useEffect(() => {
    load();
    const listener = (event) => {
      if (event === null || name === undefined || event.changed.includes(name) || event.deleted.includes(name)) load();
    };
    changes.listeners.add(listener);
    changes.start();
    return () => changes.listeners.delete(listener);
  }, [path]);
  return [value, error, load];
}

function State({ enabled }) {
  return html`<span class=${enabled ? 'on' : 'off'}>${enabled ? 'on' : 'off'}</span>`;
}

function Toggle({ flag, writes, onChange }) {
  const name = flag.feature_name;
  const flip = async () => {
    await api('POST', `${flagPath(name)}/${flag.is_enabled ? 'disable' : 'enable'}`, {});
    onChange();
  };
  return html`<label
    ><input type="checkbox" data-toggle=${name} checked=${flag.is_enabled} disabled=${!writes} onChange=${flip} />
    <${State} enabled=${flag.is_enabled}
  /></label>`;
}

function FlagList({ writes }) {
  const [flags, error, reload] = useLive('flags');
  const [search, setSearch] = useState('');
  const shown = (flags || []).filter((f) => f.feature_name.includes(search));
  return html`<div>
    <input type="search" placeholder="Search flags" value=${search} onInput=${(e) => setSearch(e.target.value)} />
    ${error && html`<p class="error">${error}</p>`}
    <table>
      <tr>
        <th>Name</th>
        <th>State</th>
        <th>Conditions</th>
        <th>Bucketer</th>
      </tr>
      ${shown.map(
        (f) =>
          html`<tr data-flag=${f.feature_name}>
            <td><a href=${`#/flag/${encodeURIComponent(f.feature_name)}`}>${f.feature_name}</a></td>
            <td><${Toggle} flag=${f} writes=${writes} onChange=${reload} /></td>
            <td>${f.meta.conditions.length}</td>
            <td>${describeBucketer(f.meta.bucketer)}</td>
          </tr>`,
      )}
    </table>
  </div>`;
}

function describeBucketer(b) {
  const pct = (p) =>
    p.type === 'LinearRampPercentage'
      ? `ramp ${p.initial_value * 100}%→${p.final_value * 100}% over ${p.ramp_duration}s`
      : `${p.value * 100}%`;
  if (b.type === 'PercentageBucketer') return `percentage ${pct(b.percentage)}`;
  if (b.type === 'ConsistentHashPercentageBucketer') {
    return `consistent ${pct(b.percentage)}${b.key_whitelist.length ? ` keys ${b.key_whitelist.join(',')}` : ''}`;
  }
  return 'none';
}

/** Checks as editable rows: one row per check, conditions numbered. */
function toRows(conditions) {
  const rows = [];
  conditions.forEach((condition, index) => {
    for (const variable of Object.keys(condition)) {
      for (const check of condition[variable]) {
        rows.push({ index, variable, operator: check.operator || '', value: stringifyPython(check.value) });
      }
    }
  });
  return rows;
}

function fromRows(rows) {
  const conditions = [];
  for (const row of rows) {
    const condition = (conditions[row.index] ||= {});
    let value;
    try {
      value = parsePython(row.value);
    } catch (e) {
      throw new Error(`the value of ${row.variable} is not JSON: ${row.value}`, { cause: e });
    }
    (condition[row.variable] ||= []).push({ variable: row.variable, value, operator: row.operator || null });
  }
  return conditions.filter(Boolean);
}

function Editor({ title, testId, save, writes, children }) {
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  const run = async () => {
    try {
      await save();
      setError('');
      setSaved('saved');
    } catch (e) {
      setError(e.message);
      setSaved('');
    }
  };
  return html`<section data-editor=${testId}>
    <h2>${title}</h2>
    ${children} ${writes && html`<button data-save=${testId} onClick=${run}>Save</button>`}
    ${error && html` <span class="error" data-error=${testId}>${error}</span>`}
    ${saved && html` <span class="note">${saved}</span>`}
  </section>`;
}

function Conditions({ flag, writes, onSaved }) {
  const [rows, setRows] = useState(() => toRows(flag.meta.conditions));
  const set = (i, field, value) => setRows(rows.map((r, j) => (j === i ? { ...r, [field]: value } : r)));
  const nextIndex = rows.reduce((m, r) => Math.max(m, r.index + 1), 0);
  const save = async () => {
    await api('PUT', `${flagPath(flag.feature_name)}/conditions`, fromRows(rows));
    onSaved();
  };
  return html`<${Editor} title="Conditions" testId="conditions" save=${save} writes=${writes}>
    <p class="note">Every check of a condition must hold for the keys a caller passes.</p>
    ${rows.map(
      (r, i) =>
        html`<div class="row" data-check=${i}>
          <span>#${r.index}</span>
          <input data-variable value=${r.variable} onInput=${(e) => set(i, 'variable', e.target.value)} />
          <select data-operator value=${r.operator} onChange=${(e) => set(i, 'operator', e.target.value)}>
            ${OPERATORS.map((o) => html`<option value=${o}>${o || '='}</option>`)}
          </select>
          <input data-value value=${r.value} onInput=${(e) => set(i, 'value', e.target.value)} />
          <button onClick=${() => setRows(rows.filter((_, j) => j !== i))}>remove</button>
        </div>`,
    )}
    ${
      writes &&
      html`<button
        data-add-check
        onClick=${() => setRows([...rows, { index: nextIndex, variable: '', operator: '', value: '' }])}
      >
        Add condition
      </button> `
    }
  <//>`;
}

/** A linear ramp's percentage over time, from its start to past its end, with now marked. */
function RampChart({ ramp }) {
  const box = useRef(null);
  useEffect(() => {
    const start = ramp.initial_time;
    const end = start + ramp.ramp_duration;
    const xs = [];
    const ys = [];
    const steps = 60;
    for (let i = 0; i <= steps; i++) {
      const t = start + ((end - start) * 1.2 * i) / steps;
      const ramped =
        ramp.initial_value + ((ramp.final_value - ramp.initial_value) * (t - start)) / (ramp.ramp_duration || 1);
      xs.push(t);
      ys.push(100 * (ramped < ramp.final_value ? ramped : ramp.final_value));
    }
    const markNow = (u) => {
      const x = u.valToPos(Date.now() / 1000, 'x', true);
      const ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = '#b42318';
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillStyle = '#b42318';
      ctx.fillText('now', x + 4, u.bbox.top + 12);
      ctx.restore();
    };
    const chart = new uPlot(
      {
        width: 600,
        height: 220,
        scales: { y: { range: [0, 100] } },
        series: [{}, { label: 'percentage on', stroke: '#1a7f37', width: 2 }],
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${t}%`) }],
        hooks: { draw: [markNow] },
      },
      [xs, ys],
      box.current,
    );
    return () => chart.destroy();
  }, [JSON.stringify(ramp)]);
  return html`<div data-ramp-chart ref=${box}></div>`;
}

function Bucketer({ flag, writes, onSaved }) {
  const b = flag.meta.bucketer;
  const p = b.percentage || { type: 'Percentage', value: 1 };
  const isRamp = p.type === 'LinearRampPercentage';
  const [kind, setKind] = useState(b.type);
  const [ramp, setRamp] = useState(isRamp);
  const [percentage, setPercentage] = useState(String(isRamp ? p.final_value : p.value));
  const [from, setFrom] = useState(String(isRamp ? p.initial_value : 0));
  const [over, setOver] = useState(String(isRamp ? p.ramp_duration : 3600));
  const [keys, setKeys] = useState((b.key_whitelist || []).join(','));
  const fraction = (text, what) => {
    const value = Number(text);
    if (text.trim() === '' || !(value >= 0 && value <= 1)) throw new Error(`${what} must be a fraction from 0 to 1`);
    return value;
  };
  const save = async () => {
    const value = fraction(percentage, 'the percentage');
    let percent = { type: 'Percentage', value };
    if (ramp) {
      const seconds = Number(over);
      if (!(seconds > 0)) throw new Error('the ramp duration must be a positive number of seconds');
      percent = {
        type: 'LinearRampPercentage',
        initial_value: fraction(from, 'the ramp start'),
        final_value: value,
        ramp_duration: seconds,
        initial_time: Math.floor(Date.now() / 1000),
      };
    }
    const body =
      kind === 'NoOpBucketer'
        ? { type: kind }
        : kind === 'PercentageBucketer'
          ? { type: kind, percentage: percent }
          : { type: kind, percentage: percent, key_whitelist: keys.split(',').filter(Boolean) };
    await api('PUT', `${flagPath(flag.feature_name)}/bucketer`, body);
    onSaved();
  };
  return html`<${Editor} title="Bucketer" testId="bucketer" save=${save} writes=${writes}>
    <div class="row">
      <select data-bucketer-type value=${kind} onChange=${(e) => setKind(e.target.value)}>
        <option value="NoOpBucketer">none</option>
        <option value="PercentageBucketer">percentage (random)</option>
        <option value="ConsistentHashPercentageBucketer">consistent hash</option>
      </select>
      ${
        kind !== 'NoOpBucketer' &&
        html`<label
            ><input type="checkbox" data-ramp checked=${ramp} onChange=${(e) => setRamp(e.target.checked)} /> linear
            ramp</label
          >
          ${ramp && html`from <input data-ramp-from size="5" value=${from} onInput=${(e) => setFrom(e.target.value)} /> to`}
          <input data-percentage size="5" value=${percentage} onInput=${(e) => setPercentage(e.target.value)} />
          ${ramp && html`over <input data-ramp-over size="7" value=${over} onInput=${(e) => setOver(e.target.value)} /> s`}`
      }
      ${
        kind === 'ConsistentHashPercentageBucketer' &&
        html`<input
          data-keys
          placeholder="keys, e.g. user_id"
          value=${keys}
          onInput=${(e) => setKeys(e.target.value)}
        />`
      }
    </div>
    <p class="note">Now: ${describeBucketer(b)}</p>
    ${isRamp && html`<${RampChart} ramp=${p} />`}
  <//>`;
}

function ClientData({ flag, writes, onSaved }) {
  // Shown and sent as text in Python's dialect: NaN, Infinity and long integers stay as stored.
  const [text, setText] = useState(() => stringifyPython(flag.meta.client_data, 2));
  const save = async () => {
    let value;
    try {
      value = parsePython(text);
    } catch (e) {
      throw new Error(`not valid JSON: ${e.message}`, { cause: e });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error('client data must be a JSON object');
    }
    await api('PUT', `${flagPath(flag.feature_name)}/client-data`, text);
    onSaved();
  };
  return html`<${Editor} title="Client data" testId="client-data" save=${save} writes=${writes}>
    <textarea data-client-data value=${text} onInput=${(e) => setText(e.target.value)}></textarea>
  <//>`;
}

function Explain({ flag }) {
  const [text, setText] = useState('{"user_id": 1}');
  const [result, setResult] = useState(undefined);
  const [error, setError] = useState('');
  const run = async () => {
    try {
      setResult(await api('POST', `${flagPath(flag.feature_name)}/explain`, text));
      setError('');
    } catch (e) {
      setError(e.message);
    }
  };
  return html`<section>
    <h2>Explain</h2>
    <textarea data-checks value=${text} onInput=${(e) => setText(e.target.value)}></textarea>
    <button data-explain onClick=${run}>Explain</button>
    ${error && html` <span class="error">${error}</span>`}
    ${
      result &&
      html`<p data-explanation>
        <${State} enabled=${result.value} /> <strong>${result.reason}</strong>
        ${result.condition && ` — condition #${result.condition.index} on ${result.condition.variable}`}
      </p>`
    }
  </section>`;
}

function FlagPage({ name, writes }) {
  const [flag, error, reload] = useLive(flagPath(name), name);
  // Editors start from the flag as first loaded (and after each save): a live update does not clobber a draft.
  const [version, setVersion] = useState(0);
  const saved = () => reload().then(() => setVersion(version + 1));
  if (!flag) return html`<p class=${error ? 'error' : 'note'}>${error || 'loading…'}</p>`;
  return html`<div>
    <p><a href="#/">← all flags</a></p>
    <h1 data-flag-name>${name}</h1>
    <section>
      <h2>State</h2>
      <${Toggle} flag=${flag} writes=${writes} onChange=${reload} />
    </section>
    <div key=${version}>
      <${Conditions} flag=${flag} writes=${writes} onSaved=${saved} />
      <${Bucketer} flag=${flag} writes=${writes} onSaved=${saved} />
      <${ClientData} flag=${flag} writes=${writes} onSaved=${saved} />
    </div>
    <${Explain} flag=${flag} />
  </div>`;
}

function Login({ onLoggedIn }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    try {
      onLoggedIn(await api('POST', 'login', { token }));
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<form class="login" onSubmit=${submit}>
    <h2>Log in</h2>
    <p class="note">The token the server was started with (--http-token-file or FLIPPER_HTTP_TOKEN).</p>
    <input
      type="password"
      data-login-token
      autocomplete="current-password"
      value=${token}
      onInput=${(e) => setToken(e.target.value)}
    />
    <button type="submit" data-login>Log in</button>
    ${error && html` <span class="error" data-login-error>${error}</span>`}
  </form>`;
}

function App() {
  const [route, setRoute] = useState(location.hash);
  const [info, setInfo] = useState(undefined);
  const [error, setError] = useState('');
  const use = (next) => {
    session.csrfToken = next.csrfToken;
    setInfo(next);
  };
  const refresh = () => api('GET', 'session').then(use, (e) => setError(e.message));
  useEffect(() => {
    const onHash = () => setRoute(location.hash);
    addEventListener('hashchange', onHash);
    session.onLoggedOut = () => {
      changes.stop();
      refresh();
    };
    refresh();
    return () => removeEventListener('hashchange', onHash);
  }, []);
  if (!info) return html`<p class=${error ? 'error' : 'note'}>${error || 'loading…'}</p>`;
  const needsLogin = info.login && !info.loggedIn;
  const logout = () => api('POST', 'logout', {}).then((next) => (changes.stop(), use(next)));
  const flag = route.match(/^#\/flag\/(.+)$/);
  return html`<div>
    <header>
      <a href="#/">Flipper</a>
      <span class="note">${info.writes ? '' : 'read-only: start the server with --http-writes to change flags'}</span>
      <span class="spacer"></span>
      ${info.loggedIn && html`<button data-logout onClick=${logout}>Log out</button>`}
    </header>
    <main>
      ${
        needsLogin
          ? html`<${Login} onLoggedIn=${use} />`
          : flag
            ? html`<${FlagPage} key=${flag[1]} name=${decodeURIComponent(flag[1])} writes=${info.writes} />`
            : html`<${FlagList} writes=${info.writes} />`
      }
    </main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
