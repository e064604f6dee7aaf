// formatInvocationResult and its helpers, on hand-made results (pure: no runtime).
import * as assert from 'assert';
import { formatDuration, formatFinding, formatInvocationResult } from '../../src/core/format';
import type { AuthorizationDecision } from '../../src/core/policy';
import type { InvocationResult } from '../../src/core/result';

const ARN = 'arn:aws:iot:us-east-1:123456789012';

function decision(action: AuthorizationDecision['action'], resource: string, allowed: boolean, statementIndex?: number): AuthorizationDecision {
  return {
    action,
    allowed,
    resourceArn: `${ARN}:${resource}`,
    reason: allowed ? 'allowed' : 'implicit-deny',
    ...(statementIndex !== undefined ? { decidingStatement: { documentIndex: 0, statementIndex, effect: 'Allow' as const, matchedAction: action, matchedResource: `${ARN}:${resource}` } } : {}),
    unsupported: [],
    certain: true,
  };
}

function allowedRun(extra: Partial<InvocationResult> = {}): InvocationResult {
  return {
    id: '00000000-0000-4000-8000-000000000000',
    startedAt: '2025-01-01T00:00:00.000Z',
    target: { kind: 'local' },
    outcome: 'allowed',
    headline: 'Allowed as sensor1 (1 policy)',
    request: { authorizer: 'Auth', protocol: 'mqtt', clientId: 'sensor1', token: 'tok', serverName: 'x-ats.iot.us-east-1.amazonaws.com', wire: { protocol: 'mqtt', serverName: 'x', mqtt: { username: 'sensor1?x=1', clientId: 'sensor1', hasPassword: true } } },
    signature: { status: 'verified', keyName: 'k1' },
    validation: {
      valid: true,
      findings: [{ code: 'REFRESH_AFTER_MISSING', severity: 'warning', path: 'refreshAfterInSeconds', message: 'refreshAfterInSeconds is missing.', hint: 'Add it.' }],
      normalized: { isAuthenticated: true, principalId: 'sensor1', refreshAfterInSeconds: 300, disconnectAfterInSeconds: 86400, policyDocuments: [{ index: 0, text: '{}', length: 2, form: 'object' }] },
    },
    evaluation: {
      context: { region: 'us-east-1', accountId: '123456789012', clientId: 'sensor1', principalId: 'sensor1' },
      decisions: [decision('iot:Connect', 'client/sensor1', true, 0), decision('iot:Subscribe', 'topicfilter/devices/sensor1/example', false)],
      summary: { actions: [], warnings: [{ code: 'SUBSCRIBE_WITHOUT_RECEIVE', severity: 'warning', message: 'Subscribe without Receive.', hint: 'Allow iot:Receive.' }], unsupported: [] },
    },
    problems: [{ severity: 'info', field: 'headers', message: 'Header names are lower-cased.' }],
    logs: { text: 'line 1\nline 2\n', truncated: false },
    timings: { totalMs: 12.4, invokeMs: 1.25, initMs: 30, cold: true },
    source: { eventFile: '/w/events/mqtt.authz.json' },
    ...extra,
  };
}

suite('format: formatDuration', () => {
  test('minutes, hours, mixed, seconds', () => {
    assert.strictEqual(formatDuration(300), '5 min');
    assert.strictEqual(formatDuration(86400), '24 h');
    assert.strictEqual(formatDuration(3600), '1 h');
    assert.strictEqual(formatDuration(5400), '1 h 30 min');
    assert.strictEqual(formatDuration(90), '1 min 30 s');
    assert.strictEqual(formatDuration(45), '45 s');
    assert.strictEqual(formatDuration(0), '0 s');
    assert.strictEqual(formatDuration(3661), '1 h 1 min 1 s');
  });
  test('values AWS would reject are shown as given', () => {
    assert.strictEqual(formatDuration(300.5), '300.5 s');
    assert.strictEqual(formatDuration(-1), '-1 s');
  });
});

suite('format: formatFinding', () => {
  test('severity, path, message, then the fix', () => {
    const text = formatFinding({ code: 'X', severity: 'error', path: 'principalId', message: 'Bad principal.', hint: 'Use letters.' });
    assert.strictEqual(text, 'error   principalId: Bad principal.\n        fix: Use letters.');
  });
});

suite('format: formatInvocationResult', () => {
  test('an allowed run shows every part, in order', () => {
    const text = formatInvocationResult(allowedRun());
    const order = ['ALLOWED  Allowed as sensor1 (1 policy)', 'Request', 'Signature   verified with key "k1"', 'Decision', 'Response', 'Policies', 'SUBSCRIBE_WITHOUT_RECEIVE', 'Notes', 'Logs', 'Timings'];
    let at = -1;
    for (const part of order) {
      const i = text.indexOf(part);
      assert.ok(i > at, `"${part}" missing or out of order in:\n${text}`);
      at = i;
    }
    assert.match(text, /refresh after 5 min/);
    assert.match(text, /disconnect after 24 h/);
    assert.match(text, /client id sensor1/);
    assert.match(text, /MQTT password \(hidden\)/);
    assert.match(text, /warning refreshAfterInSeconds: refreshAfterInSeconds is missing\.\n\s+fix: Add it\./);
    assert.match(text, /\| line 1\n\s+\| line 2\n/);
    assert.match(text, /total 12 ms, handler 1\.3 ms, init 30 ms, cold start/);
    assert.ok(!text.includes('\u001b['), 'no colour by default');
  });

  test('the policy table is aligned: each column starts at the same place on every row', () => {
    const lines = formatInvocationResult(allowedRun()).split('\n');
    const start = lines.findIndex((l) => l.includes('ACTION') && l.includes('VERDICT'));
    const rows = lines.slice(start, start + 3);
    const col = (name: string) => rows[0].indexOf(name);
    assert.ok(rows[1].startsWith('  iot:Connect'));
    assert.strictEqual(rows[1].indexOf('allow'), col('VERDICT'));
    assert.strictEqual(rows[2].indexOf('deny'), col('VERDICT'));
    assert.strictEqual(rows[1].indexOf(`${ARN}:client/sensor1`), col('RESOURCE'));
    assert.match(rows[1], /policyDocuments\[0\]\.Statement\[0\]$/);
    assert.match(rows[2], /default deny: no statement allows it$/);
  });

  test('an uncertain decision says why', () => {
    const d = { ...decision('iot:Publish', 'topic/a', false), certain: false, unsupported: [{ code: 'CONDITION_UNSUPPORTED' as const, documentIndex: 0, path: 'p', message: 'Condition X is not understood.' }] };
    const run = allowedRun();
    const text = formatInvocationResult({ ...run, evaluation: { ...run.evaluation!, decisions: [d] } });
    assert.match(text, /uncertain: Condition X is not understood\./);
  });

  test('handler error: code, message and detail; no decision', () => {
    const text = formatInvocationResult(
      allowedRun({ outcome: 'handler-error', headline: 'Handler error (HANDLER_EXCEPTION): boom', validation: undefined, evaluation: undefined, error: { code: 'HANDLER_EXCEPTION', message: 'boom', detail: 'TypeError: boom\n    at handler (index.js:3:9)' } }),
    );
    assert.ok(text.startsWith('HANDLER ERROR  Handler error'), text);
    assert.match(text, /Error\s+HANDLER_EXCEPTION: boom\n\s+TypeError: boom\n\s+at handler \(index\.js:3:9\)/);
    assert.ok(!text.includes('Decision'));
  });

  test('signature rejected: status and diagnosis', () => {
    const text = formatInvocationResult(allowedRun({ outcome: 'signature-rejected', headline: 'Not invoked', signature: { status: 'failed', diagnosis: 'Signed with a trailing newline.' }, validation: undefined, evaluation: undefined, logs: { text: '', truncated: false } }));
    assert.match(text, /Signature\s+failed\n\s+Signed with a trailing newline\./);
    assert.ok(!text.includes('Logs'));
  });

  test('signing disabled is explained', () => {
    assert.match(formatInvocationResult(allowedRun({ signature: { status: 'disabled' } })), /signing is disabled, so the handler must check the credentials itself/);
  });

  test('request error: the error, without request, signature or timings', () => {
    const text = formatInvocationResult({
      ...allowedRun(),
      outcome: 'request-error',
      headline: 'Not run: bad event',
      request: { protocol: 'http' },
      validation: undefined,
      evaluation: undefined,
      problems: [],
      logs: { text: '', truncated: false },
      error: { code: 'EVENT_INVALID', message: '/w/e.authz.json:3:15: protocol: Unknown protocol "smtp".' },
    });
    assert.ok(text.startsWith('REQUEST ERROR  Not run: bad event'), text);
    assert.match(text, /EVENT_INVALID: \/w\/e\.authz\.json:3:15/);
    for (const absent of ['Signature', 'Timings', 'http']) assert.ok(!text.includes(absent), `${absent} shown:\n${text}`);
  });

  test('long and truncated logs: the last lines, with notes', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `log ${i}`).join('\n');
    const text = formatInvocationResult(allowedRun({ logs: { text: lines, truncated: true } }), { maxLogLines: 5 });
    assert.match(text, /Logs \(truncated: the handler wrote more than is kept\)/);
    assert.match(text, /\(45 earlier lines not shown\)/);
    assert.ok(text.includes('| log 49') && !text.includes('| log 44'));
  });

  test('color: ANSI codes around the outcome and verdicts', () => {
    const text = formatInvocationResult(allowedRun(), { color: true });
    assert.ok(text.includes('\u001b[32m'), 'green');
    assert.ok(text.includes('\u001b[31m'), 'red deny');
    assert.strictEqual(text.replace(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g'), ''), formatInvocationResult(allowedRun()), 'same text without the codes');
  });
});
