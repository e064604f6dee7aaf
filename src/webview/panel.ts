// The results panel's page: renders the RunView the extension sends and answers clicks with
// FromWebview messages (protocol.ts). Plain DOM, theme variables and codicons; every piece of
// run data goes in as text. The saved state is the shown run's id only (runs live in the
// extension's RunStore), which is what a window reload restores.
import { IOT_ACTIONS, IotAction } from '../core/policy';
import { OUTCOME_PRESENTATION } from '../core/outcomes';
import type { SignatureStatus } from '../core/events';
import { verdictText } from './decisionRow';
import { Child, clear, h, icon } from './dom';
import { prettyJson, tokenizeJson } from './jsonHighlight';
import type {
  DecisionRowView, FindingView, FromWebview, HistoryEntry, PanelState, RunComparison, RunView, SourceLocation, ToWebview,
} from './protocol';
import { evaluateWhatIf, resourceLabel } from './whatIf';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (m: FromWebview) => vscode.postMessage(m);

const OUTCOMES = OUTCOME_PRESENTATION;

const SIGNATURES: Readonly<Record<SignatureStatus, { label: string; icon: string; tone: string }>> = {
  verified: { label: 'Verified', icon: 'verified', tone: 'good' },
  failed: { label: 'Failed', icon: 'error', tone: 'bad' },
  missing: { label: 'Missing', icon: 'warning', tone: 'bad' },
  disabled: { label: 'Signing disabled', icon: 'unlock', tone: 'muted' },
  'not-checked': { label: 'Not checked', icon: 'circle-slash', tone: 'muted' },
};

const SEVERITY_ICON = { error: 'error', warning: 'warning', info: 'info' } as const;

interface Page {
  run?: RunView;
  history: readonly HistoryEntry[];
  historyOpen: boolean;
}

const page: Page = { history: [], historyOpen: true };
const app = document.getElementById('app') as HTMLElement;

// ---------------------------------------------------------------------------------------------
// Small pieces

function time(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}

function button(
  label: string,
  iconName: string,
  onClick: () => void, opts: { primary?: boolean; disabledReason?: string; id?: string; title?: string } = {},
): HTMLButtonElement {
  const disabled = opts.disabledReason !== undefined;
  return h(
    'button',
    {
      id: opts.id,
      class: `button${opts.primary ? ' primary' : ' secondary'}`,
      attrs: {
        type: 'button',
        title: opts.disabledReason ?? opts.title,
        // aria-disabled keeps the button focusable, so its reason can be read and hovered.
        'aria-disabled': disabled ? 'true' : undefined,
      },
      on: { click: () => (disabled ? undefined : onClick()) },
    },
    icon(iconName),
    h('span', {}, label),
  );
}

function section(id: string, title: Child, ...body: Child[]): HTMLElement {
  return h('section', { id, class: 'section', attrs: { 'aria-labelledby': `${id}-heading` } }, h('h2', { id: `${id}-heading` }, title), ...body);
}

function openLink(location: SourceLocation, label: string): HTMLButtonElement {
  return h(
    'button',
    { class: 'link', attrs: { type: 'button', title: `Open ${location.file}${location.line ? `:${location.line}` : ''}` }, on: { click: () => post({ type: 'openLocation', ...location }) } },
    icon('go-to-file'),
    h('span', {}, label),
  );
}

function chip(text: string, tone: string, iconName?: string): HTMLElement {
  return h('span', { class: `chip tone-${tone}` }, iconName ? icon(iconName) : null, text);
}

function field(label: string, ...value: Child[]): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

function code(text: string): HTMLElement {
  return h('code', {}, text);
}

function shortArn(arn: string): string {
  // arn:aws:iot:region:account:topic/a/b → topic/a/b
  const parts = arn.split(':');
  return parts.length >= 6 ? parts.slice(5).join(':') : arn;
}

/** A resource path that wraps only after a `/`, never inside a name. */
function pathCode(text: string): HTMLElement {
  const el = h('code', { class: 'path' });
  text.split('/').forEach((part, i, all) => {
    el.append(part + (i < all.length - 1 ? '/' : ''));
    if (i < all.length - 1) el.append(h('wbr'));
  });
  return el;
}

function notice(text: string): void {
  const el = document.getElementById('notice');
  if (!el) return;
  el.textContent = text;
  window.setTimeout(() => {
    if (el.textContent === text) el.textContent = '';
  }, 4000);
}

// ---------------------------------------------------------------------------------------------
// Sections

function runHeader(run: RunView): HTMLElement {
  const o = OUTCOMES[run.outcome];
  const meta = [run.sources.eventFile?.label ?? run.request.authorizer ?? 'default authorizer', run.target.label, time(run.startedAt)];
  return h(
    'header',
    { class: 'run-header' },
    h('div', { class: 'title-row' },
      h('span', { class: `outcome tone-${o.tone}`, id: 'outcome' }, icon(o.icon), h('span', {}, o.label)),
      h('h1', { id: 'headline' }, run.headline),
    ),
    h('p', { class: 'meta' }, meta.join(' · ')),
    h('div', { class: 'actions', attrs: { role: 'group', 'aria-label': 'Run actions' } },
      button('Re-run', 'debug-rerun', () => post({ type: 'rerun', runId: run.id }), {
        primary: true,
        id: 'rerun',
        title: run.sources.eventFile ? `Run ${run.sources.eventFile.label} again` : 'Run the authorizer again',
        disabledReason: run.unavailable.rerun,
      }),
      button(run.target.kind === 'aws' ? 'Run locally' : 'Run against AWS', run.target.kind === 'aws' ? 'play' : 'cloud', () => post({ type: 'switchTarget', runId: run.id }), {
        id: 'switch-target',
        title: run.target.kind === 'aws' ? 'Run the same request with the local handler' : 'Test-invoke the deployed authorizer in AWS with the same request',
        disabledReason: run.unavailable.switchTarget,
      }),
      button('Run against endpoint', 'radio-tower', () => post({ type: 'runOnEndpoint', runId: run.id }), {
        id: 'run-on-endpoint',
        title: 'Send the same request as an HTTP publish to the local endpoint (started if needed) and show its decision',
        disabledReason: run.unavailable.runOnEndpoint,
      }),
      button('Compare with previous', 'git-compare', () => post({ type: 'compare', runId: run.id }), {
        id: 'compare-button',
        disabledReason: run.previousId ? undefined : 'No earlier run of this event in the history',
      }),
      button('Save as test event', 'save', () => post({ type: 'saveAsTestEvent', runId: run.id }), {
        disabledReason: run.unavailable.save,
      }),
      button('Copy response JSON', 'copy', () => post({ type: 'copy', runId: run.id, what: 'response' }), {
        disabledReason: run.hasResponse ? undefined : 'The handler returned no response',
      }),
    ),
    h('p', { id: 'notice', class: 'notice', attrs: { role: 'status', 'aria-live': 'polite' } }),
  );
}

function decisionSection(run: RunView): HTMLElement {
  const d = run.decision;
  const cards: HTMLElement[] = [];
  const card = (label: string, value: Child, id?: string, detail?: string) =>
    cards.push(h('div', { class: 'card' }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value', id }, value), detail ? h('div', { class: 'card-detail' }, detail.split(' · ').map((part, i) => [i ? ' · ' : '', h('span', {}, part)])) : null));
  if (d) {
    card('isAuthenticated', d.isAuthenticated ? chip('true', 'good', 'pass') : chip('false', 'warn', 'circle-slash'));
    card('Principal', d.principalId || '(none)', 'principal');
    card('Refresh after', d.refresh ?? '(not set)', 'refresh');
    card('Disconnect after', d.disconnect ?? '(not set)', 'disconnect');
  }
  card('Duration', run.duration.total, 'duration', run.duration.detail);
  return section('decision', 'Decision', h('div', { class: 'cards' }, cards));
}

function requestSection(run: RunView): HTMLElement {
  const r = run.request;
  const s = SIGNATURES[run.signature.status];
  const signature: Child[] = [chip(`${s.label}${run.signature.status === 'verified' && run.signature.keyName ? ` with key "${run.signature.keyName}"` : ''}`, s.tone, s.icon)];
  if (run.signature.diagnosis) signature.push(h('p', { class: 'diagnosis' }, run.signature.diagnosis));
  const items: HTMLElement[] = [
    ...field('Target', run.target.label),
    ...field('Authorizer', r.authorizer ?? '(the account\'s default authorizer)'),
    ...field('Protocol', r.protocolLabel),
    ...field('Client id', r.clientId !== undefined ? code(r.clientId) : h('span', { class: 'muted' }, r.protocol === 'http' ? 'none (HTTPS has no client id)' : 'none sent')),
    ...field('Token', r.token !== undefined ? code(r.token) : h('span', { class: 'muted' }, 'none')),
    ...(r.endpoint ? field('Endpoint', code(r.endpoint)) : []),
    ...field('Signature', ...signature),
  ];
  const files: Child[] = [];
  if (run.sources.eventFile) files.push(openLink({ file: run.sources.eventFile.file }, run.sources.eventFile.label));
  if (run.sources.handler) files.push(openLink({ file: run.sources.handler.file }, run.sources.handler.label));
  if (files.length) items.push(...field('Files', h('span', { class: 'links' }, files)));
  return section('request', 'Request', h('dl', { class: 'fields' }, items));
}

function errorSection(run: RunView): HTMLElement | null {
  const e = run.error;
  if (!e) return null;
  return section(
    'error',
    'Error',
    h('div', { class: 'error-box', attrs: { role: 'alert' } },
      h('p', {}, icon('error', 'tone-bad'), ' ', code(e.code), ' ', e.message),
      e.detail ? h('pre', { class: 'detail' }, e.detail) : null,
      e.location ? openLink(e.location, `Open ${e.location.file.split(/[\\/]/).pop()}${e.location.line ? `:${e.location.line}` : ''}`) : null,
    ),
  );
}

function findingItem(f: FindingView): HTMLElement {
  return h(
    'li',
    { class: `finding severity-${f.severity}` },
    icon(SEVERITY_ICON[f.severity], `tone-${f.severity === 'error' ? 'bad' : f.severity === 'warning' ? 'warn' : 'muted'}`),
    h('div', { class: 'finding-body' },
      h('p', { class: 'finding-message' }, h('span', { class: 'visually-hidden' }, `${f.severity}: `), f.path ? code(f.path) : null, f.path ? ' ' : null, f.message),
      f.hint ? h('p', { class: 'finding-hint' }, h('span', { class: 'hint-label' }, 'Fix: '), f.hint) : null,
      h('p', { class: 'finding-meta' },
        h('span', { class: 'muted' }, `${f.origin === 'response' ? 'Response' : f.origin === 'policy' ? 'Policies' : 'Request'}${f.code ? ` · ${f.code}` : ''}`),
        f.location ? openLink(f.location, f.locationLabel ?? 'Open') : null,
      ),
    ),
  );
}

function findingsSection(run: RunView): HTMLElement {
  const f = run.findings;
  const errors = f.filter((x) => x.severity === 'error').length;
  const title = `Findings${f.length ? ` (${f.length})` : ''}`;
  if (f.length === 0) {
    return section('findings', title, h('p', { class: 'muted' }, icon('pass', 'tone-good'), ' ', run.decision ? 'None: AWS accepts this response as it is.' : 'None.'));
  }
  return section('findings', title, errors ? h('p', { class: 'muted' }, `${errors} ${errors === 1 ? 'error makes' : 'errors make'} AWS reject the response.`) : null, h('ul', { class: 'findings' }, f.map(findingItem)));
}

function verdictCell(row: DecisionRowView): HTMLElement {
  return h('span', { class: `verdict tone-${row.allowed ? 'good' : 'bad'}` }, icon(row.allowed ? 'pass' : 'circle-slash'), h('span', {}, verdictText(row)), row.certain ? null : h('span', { class: 'uncertain', attrs: { title: row.notes.join('\n') } }, ' (uncertain)'));
}

function decidedByCell(row: DecisionRowView): Child[] {
  return [row.decidedBy ?? h('span', { class: 'muted' }, 'No statement allows it (default deny)'), ...row.notes.map((n) => h('div', { class: 'note' }, n))];
}

function evaluationSection(run: RunView): HTMLElement | null {
  const ev = run.evaluation;
  if (!ev) return null;
  const ctx = ev.context;
  const rows = ev.rows.map((r) =>
    h('tr', {}, h('td', {}, code(r.action)), h('td', { attrs: { title: r.resourceArn } }, pathCode(shortArn(r.resourceArn))), h('td', {}, verdictCell(r)), h('td', { class: 'decided-by' }, decidedByCell(r))),
  );
  const table = h(
    'table',
    { class: 'decisions', id: 'decisions' },
    h('caption', { class: 'visually-hidden' }, 'Policy evaluation: each request and whether the returned policies allow it'),
    h('thead', {}, h('tr', {}, h('th', { attrs: { scope: 'col' } }, 'Action'), h('th', { attrs: { scope: 'col' } }, 'Resource'), h('th', { attrs: { scope: 'col' } }, 'Verdict'), h('th', { attrs: { scope: 'col' } }, 'Decided by'))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { attrs: { colspan: '4' }, class: 'muted' }, 'The policies name no resource to try; use the what-if row below.'))),
  );
  return section(
    'evaluation',
    'Policy evaluation',
    h('p', { class: 'muted' }, `In region ${ctx.region}, account ${ctx.accountId}, ${ctx.clientId !== undefined ? `as client id "${ctx.clientId}"` : 'without a client id (HTTPS)'}.`),
    h('div', { class: 'table-scroll' }, table),
    whatIfForm(run),
  );
}

function whatIfForm(run: RunView): HTMLElement {
  const ev = run.evaluation;
  const documents = run.documents.map((d) => d.text);
  const firstPublish = ev?.rows.find((r) => r.action === 'iot:Publish');
  const action = h('select', { id: 'whatif-action' }, IOT_ACTIONS.map((a) => h('option', { attrs: { value: a, selected: a === 'iot:Publish' ? '' : undefined } }, a)));
  const clientId = h('input', { id: 'whatif-client', attrs: { type: 'text', spellcheck: 'false', autocomplete: 'off', value: ev?.context.clientId ?? '' } });
  const resource = h('input', { id: 'whatif-resource', attrs: { type: 'text', spellcheck: 'false', autocomplete: 'off', value: firstPublish ? shortArn(firstPublish.resourceArn).replace(/^topic\//, '') : '' } });
  const resourceName = h('label', { id: 'whatif-resource-label', attrs: { for: 'whatif-resource' } }, 'Topic');
  const resourceField = h('div', { class: 'whatif-field' }, resourceName, resource);
  const verdict = h('div', { id: 'whatif-verdict', class: 'whatif-verdict', attrs: { role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' } });
  const update = () => {
    const a = action.value as IotAction;
    // Connect's resource is the client id field itself: the second field hides, keeping its last label.
    resourceField.hidden = a === 'iot:Connect';
    if (a !== 'iot:Connect') resourceName.textContent = resourceLabel(a);
    const result = evaluateWhatIf(documents, ev?.context ?? { region: '', accountId: '' }, { action: a, clientId: clientId.value, resource: resource.value });
    clear(verdict);
    if ('missing' in result) {
      verdict.append(h('span', { class: 'muted' }, result.missing));
      return;
    }
    const row = result.row;
    verdict.append(verdictCell(row), h('div', { class: 'whatif-arn' }, code(row.resourceArn)), h('div', { class: 'decided-by' }, decidedByCell(row)));
  };
  action.addEventListener('change', update);
  clientId.addEventListener('input', update);
  resource.addEventListener('input', update);
  update();
  return h(
    'div',
    { class: 'whatif', attrs: { role: 'group', 'aria-labelledby': 'whatif-heading' } },
    h('h3', { id: 'whatif-heading' }, 'What if…'),
    h('p', { class: 'muted' }, 'Type a client id, topic or topic filter: the verdict is computed from the returned policies as you type.'),
    h('div', { class: 'whatif-fields' },
      h('div', { class: 'whatif-field' }, h('label', { attrs: { for: 'whatif-action' } }, 'Action'), action),
      h('div', { class: 'whatif-field' }, h('label', { attrs: { for: 'whatif-client' } }, 'Client id'), clientId),
      resourceField,
    ),
    verdict,
  );
}

function jsonBlock(text: string, label: string): HTMLElement {
  const pre = h('pre', { class: 'json', attrs: { tabindex: '0', 'aria-label': label } });
  for (const t of tokenizeJson(prettyJson(text))) pre.appendChild(t.kind === 'text' ? document.createTextNode(t.text) : h('span', { class: `json-${t.kind}` }, t.text));
  return pre;
}

function documentsSection(run: RunView): HTMLElement | null {
  if (!run.decision) return null;
  if (run.documents.length === 0) return section('documents', 'Policy documents', h('p', { class: 'muted' }, 'The response returns no policy documents.'));
  return section(
    'documents',
    `Policy documents (${run.documents.length})`,
    run.documents.map((d) => {
      const over = d.length > d.limit;
      const meter = h('span', { class: 'meter-bar' });
      meter.style.setProperty('width', `${Math.min(100, (d.length / d.limit) * 100)}%`);
      return h(
        'div',
        { class: 'document' },
        h('div', { class: 'document-head' },
          h('h3', {}, `Document ${d.index + 1}`),
          h('span', { class: `size${over ? ' tone-bad' : ''}` }, `${d.length} / ${d.limit} characters${d.form === 'string' ? ' (returned as a JSON string)' : ''}${over ? ': over the limit' : ''}`),
          h('span', { class: `meter${over ? ' over' : ''}`, attrs: { role: 'meter', 'aria-label': `Document ${d.index + 1} size`, 'aria-valuemin': '0', 'aria-valuemax': String(d.limit), 'aria-valuenow': String(d.length) } }, meter),
        ),
        jsonBlock(d.text, `Policy document ${d.index + 1}`),
      );
    }),
  );
}

function snippetsSection(run: RunView): HTMLElement | null {
  if (run.snippets.length === 0) return null;
  const select = h('select', { id: 'snippet-kind' }, run.snippets.map((s) => h('option', { attrs: { value: s.kind } }, s.label)));
  const pre = h('pre', { id: 'snippet-text', class: 'snippet', attrs: { tabindex: '0', 'aria-label': 'Connection snippet' } });
  const show = () => {
    pre.textContent = run.snippets.find((s) => s.kind === select.value)?.text ?? '';
  };
  select.addEventListener('change', show);
  show();
  return section(
    'snippets',
    'Connection snippets',
    h('p', { class: 'muted' }, 'The same request from a real client, values URL-encoded where they go into a URL or MQTT username. Passwords are never kept: the snippets read $MQTT_PASSWORD.'),
    h('div', { class: 'snippet-bar' },
      h('label', { attrs: { for: 'snippet-kind' } }, 'Client'),
      select,
      button('Copy snippet', 'copy', () => post({ type: 'copy', runId: run.id, what: 'snippet', snippet: select.value as RunView['snippets'][number]['kind'] })),
    ),
    pre,
  );
}

function logsSection(run: RunView): HTMLElement {
  const text = run.logs.text;
  const pre = h('pre', { id: 'logs', class: 'logs', attrs: { tabindex: '0', 'aria-label': 'Handler logs' } });
  // One text node: a megabyte of logs is one layout, never parsed as markup.
  pre.textContent = text;
  const size = text.length > 10240 ? ` (${Math.round(text.length / 1024)} KB)` : '';
  return section(
    'logs',
    `Handler logs${size}`,
    text === '' ? h('p', { class: 'muted' }, 'The handler wrote nothing.') : pre,
    run.logs.truncated ? h('p', { class: 'tone-warn' }, icon('warning'), ' Truncated: the handler wrote more than is kept.') : null,
  );
}

function compareSection(c: RunComparison): HTMLElement {
  const close = h('button', { class: 'icon-button', attrs: { type: 'button', 'aria-label': 'Close the comparison', title: 'Close' }, on: { click: () => document.getElementById('compare')?.remove() } }, icon('close'));
  if (!c.previous) {
    return h('section', { id: 'compare', class: 'section compare', attrs: { 'aria-labelledby': 'compare-heading' } }, h('div', { class: 'section-head' }, h('h2', { id: 'compare-heading' }, 'Compared with previous'), close), h('p', { class: 'muted' }, 'No earlier run of this event in the history.'));
  }
  const same = c.changes.length === 0 && c.documents.every((d) => d.status === 'same') && !c.findingsAdded.length && !c.findingsRemoved.length;
  const body: Child[] = [h('p', { class: 'muted' }, `Previous run: ${time(c.previous.startedAt)}, ${c.previous.headline}`)];
  if (same) body.push(h('p', {}, icon('pass', 'tone-good'), ' Nothing changed.'));
  if (c.changes.length) {
    body.push(h('table', { class: 'changes' },
      h('thead', {}, h('tr', {}, h('th', { attrs: { scope: 'col' } }, 'Field'), h('th', { attrs: { scope: 'col' } }, 'Before'), h('th', { attrs: { scope: 'col' } }, 'Now'))),
      h('tbody', {}, c.changes.map((x) => h('tr', {}, h('th', { attrs: { scope: 'row' } }, x.field), h('td', { class: 'removed-text' }, x.before), h('td', { class: 'added-text' }, x.after)))),
    ));
  }
  for (const d of c.documents.filter((x) => x.status !== 'same')) {
    const pre = h('pre', { class: 'diff', attrs: { tabindex: '0', 'aria-label': `Changes in document ${d.index + 1}` } });
    for (const l of d.lines) pre.appendChild(h('span', { class: `diff-line ${l.kind}` }, `${l.kind === 'added' ? '+ ' : l.kind === 'removed' ? '- ' : '  '}${l.text}\n`));
    body.push(h('h3', {}, `Document ${d.index + 1}: ${d.status}`), pre);
  }
  if (c.findingsAdded.length) body.push(h('h3', {}, 'New findings'), h('ul', { class: 'plain' }, c.findingsAdded.map((f) => h('li', { class: 'added-text' }, `+ ${f}`))));
  if (c.findingsRemoved.length) body.push(h('h3', {}, 'Findings gone'), h('ul', { class: 'plain' }, c.findingsRemoved.map((f) => h('li', { class: 'removed-text' }, `- ${f}`))));
  return h('section', { id: 'compare', class: 'section compare', attrs: { 'aria-labelledby': 'compare-heading' } }, h('div', { class: 'section-head' }, h('h2', { id: 'compare-heading' }, 'Compared with previous'), close), body);
}

function historyList(): HTMLElement {
  const items = page.history.map((e) => {
    const o = OUTCOMES[e.outcome];
    const current = e.id === page.run?.id;
    return h(
      'li',
      {},
      h(
        'button',
        {
          class: `history-item${current ? ' current' : ''}`,
          attrs: { type: 'button', 'aria-current': current ? 'true' : undefined, 'data-run-id': e.id, title: e.headline },
          on: { click: () => post({ type: 'selectRun', runId: e.id }) },
        },
        h('span', { class: `tone-${o.tone}` }, icon(o.icon)),
        h('span', { class: 'history-text' },
          h('span', { class: 'history-label' }, e.label),
          h('span', { class: 'history-sub' }, h('span', { class: 'visually-hidden' }, `${o.label}, `), `${time(e.startedAt)} · ${e.headline}`),
        ),
      ),
    );
  });
  return h(
    'nav',
    { id: 'history', class: 'history', attrs: { 'aria-labelledby': 'history-heading' } },
    h('h2', { id: 'history-heading' }, `History (${page.history.length})`),
    items.length ? h('ol', { class: 'history-list' }, items) : h('p', { class: 'muted' }, 'No runs yet.'),
  );
}

function historyToggle(): HTMLButtonElement {
  const toggle = h(
    'button',
    {
      class: 'icon-button history-toggle',
      id: 'history-toggle',
      attrs: { type: 'button', 'aria-expanded': String(page.historyOpen), 'aria-controls': 'history', title: page.historyOpen ? 'Hide history' : 'Show history' },
      on: {
        // Hides the list without re-rendering, so what-if input and scroll position stay.
        click: () => {
          page.historyOpen = !page.historyOpen;
          toggle.setAttribute('aria-expanded', String(page.historyOpen));
          toggle.title = page.historyOpen ? 'Hide history' : 'Show history';
          const nav = document.getElementById('history');
          if (nav) nav.hidden = !page.historyOpen;
          document.querySelector('.layout')?.classList.toggle('history-closed', !page.historyOpen);
        },
      },
    },
    icon('history'),
    h('span', { class: 'history-toggle-label' }, 'History'),
  );
  return toggle;
}

// ---------------------------------------------------------------------------------------------
// Page

function render(): void {
  const run = page.run;
  const main = h('main', { id: 'main', class: 'main', attrs: { tabindex: '-1' } });
  if (!run) {
    main.append(
      h('header', { class: 'run-header' }, h('h1', {}, 'No runs yet')),
      h('p', {}, 'Run a test event ("IoT Authorizer: Run Test Event", or the ▶ on an *.authz.json file) and its decision, policies, findings and logs appear here.'),
    );
  } else {
    main.append(
      runHeader(run),
      ...[
        decisionSection(run),
        requestSection(run),
        errorSection(run),
        findingsSection(run),
        evaluationSection(run),
        documentsSection(run),
        snippetsSection(run),
        logsSection(run),
      ].filter((x): x is HTMLElement => x !== null),
    );
  }
  const nav = historyList();
  nav.hidden = !page.historyOpen;
  const layout = h('div', { class: `layout${page.historyOpen ? '' : ' history-closed'}` }, nav, main);
  clear(app);
  app.append(h('div', { class: 'topbar' }, historyToggle()), layout);
}

function show(run: RunView | undefined, history: readonly HistoryEntry[]): void {
  const started = performance.now();
  page.run = run;
  page.history = history;
  render();
  vscode.setState(run ? { runId: run.id } : {});
  if (run) {
    // Reading a layout value makes the browser lay the page out now, so `ms` includes it.
    void document.body.offsetHeight;
    post({ type: 'rendered', runId: run.id, ms: performance.now() - started });
  }
}

function showComparison(c: RunComparison): void {
  if (c.runId !== page.run?.id) return;
  document.getElementById('compare')?.remove();
  const el = compareSection(c);
  document.querySelector('.run-header')?.after(el);
  el.querySelector('h2')?.setAttribute('tabindex', '-1');
  (el.querySelector('h2') as HTMLElement | null)?.focus();
}

const handlers: { readonly [K in ToWebview['type']]: (m: Extract<ToWebview, { type: K }>) => void } = {
  showRun: (m) => show(m.run, m.history),
  empty: () => show(undefined, []),
  history: (m) => {
    page.history = m.history;
    const old = document.getElementById('history');
    if (!old) return;
    const nav = historyList();
    nav.hidden = old.hidden;
    old.replaceWith(nav);
  },
  compare: (m) => showComparison(m.comparison),
  notice: (m) => notice(m.text),
};

window.addEventListener('message', (e: MessageEvent<ToWebview>) => {
  const m = e.data;
  const handler = handlers[m?.type] as ((x: ToWebview) => void) | undefined;
  handler?.(m);
});

post({ type: 'ready', runId: vscode.getState()?.runId });
