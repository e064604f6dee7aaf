// One row of the policy evaluation table, as text: shared by the extension (rows it computed)
// and the webview (the what-if row it computes on each keystroke), so both read the same.
import type { AuthorizationDecision } from '../core/policy';
import type { DecisionRowView } from './protocol';

function decidedBy(d: AuthorizationDecision): string | undefined {
  const st = d.decidingStatement;
  if (!st) return undefined;
  const where = `Document ${st.documentIndex + 1}, statement ${st.statementIndex + 1}${st.sid ? ` (${st.sid})` : ''}`;
  return `${where}: ${st.effect} ${st.matchedAction} on ${st.matchedResource}`;
}

export function decisionRow(d: AuthorizationDecision): DecisionRowView {
  const by = decidedBy(d);
  return {
    action: d.action,
    resourceArn: d.resourceArn,
    allowed: d.allowed,
    reason: d.reason,
    ...(by !== undefined ? { decidedBy: by } : {}),
    certain: d.certain,
    notes: [...new Set(d.unsupported.map((u) => u.message))],
  };
}

/** "Allowed", "Denied: explicit Deny", "Denied: no statement allows it". */
export function verdictText(row: Pick<DecisionRowView, 'allowed' | 'reason'>): string {
  if (row.allowed) return 'Allowed';
  return row.reason === 'explicit-deny' ? 'Denied: explicit Deny' : 'Denied: no statement allows it';
}
