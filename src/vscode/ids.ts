// Names the activation shell (src/extension.ts) needs before the features bundle is loaded.
// Kept here, tiny and dependency-free, so the shell stays small.
import * as vscode from 'vscode';

export const AUTHORIZERS_VIEW_ID = 'iotAuthz.authorizers';
export const RESULTS_VIEW_TYPE = 'iotAuthz.results';
const PROJECT_FILE = 'iot-authorizer.json';
const EVENT_SUFFIX = '.authz.json';

/** Files that may hold a handler or a test event: where CodeLens can appear. */
export const CODELENS_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', language: 'python' },
  { scheme: 'file', language: 'javascript' },
  { scheme: 'file', language: 'typescript' },
  { scheme: 'file', pattern: `**/*${EVENT_SUFFIX}` },
  { scheme: 'file', pattern: '**/iot-authorizer.json' },
];

/** The project file or a test event: opening one starts the toolkit's checks. */
export function isProjectOrEventDocument(doc: vscode.TextDocument): boolean {
  if (doc.uri.scheme !== 'file') return false;
  const p = doc.uri.path;
  return p.endsWith(`/${PROJECT_FILE}`) || p.endsWith(EVENT_SUFFIX);
}
