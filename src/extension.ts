// Activation shell: registers the commands, the Authorizers view, CodeLens and the results
// panel's serializer with thin stand-ins, and loads the features bundle (dist/features.js)
// the first time one of them is used. Activation does no file or network I/O.
import * as vscode from 'vscode';
import { CommandId } from './vscode/commandTable';
import { registerCommands } from './vscode/commands';
import { Log } from './vscode/log';
import { AUTHORIZERS_VIEW_ID, CODELENS_SELECTOR, isProjectOrEventDocument, RESULTS_VIEW_TYPE } from './vscode/ids';
import type { Features } from './vscode/features';

type FeaturesModule = typeof import('./vscode/features');

export interface ExtensionApi {
  /** Milliseconds spent evaluating this bundle plus running activate(), read by the bench. */
  readonly activationMs: number;
  /** Milliseconds the features bundle took to load on first use (undefined until then). */
  readonly featuresLoadMs: number | undefined;
  /** Hooks the extension-host tests use to observe state; reading it loads the features. */
  readonly features: Features['testApi'];
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const log = new Log();
  const treeChanged = new vscode.EventEmitter<unknown>();
  const lensesChanged = new vscode.EventEmitter<void>();
  context.subscriptions.push(log, treeChanged, lensesChanged);
  let features: Features | undefined;
  let featuresLoadMs: number | undefined;

  const load = (): Features => {
    if (features) return features;
    const t0 = performance.now();
    // A separate bundle next to this one (esbuild keeps the path external).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require('./features.js') as FeaturesModule;
    const f = m.createFeatures(context, log);
    features = f;
    context.subscriptions.push(
      f.explorer.onDidChangeTreeData((e) => treeChanged.fire(e)),
      f.lenses.onDidChangeCodeLenses?.(() => lensesChanged.fire()) ?? { dispose() {} },
    );
    f.register();
    featuresLoadMs = performance.now() - t0;
    return f;
  };

  registerCommands(context, log, (id: CommandId) => load().handlers[id]);
  context.subscriptions.push(
    vscode.window.createTreeView(AUTHORIZERS_VIEW_ID, {
      showCollapseAll: true,
      treeDataProvider: {
        onDidChangeTreeData: treeChanged.event,
        getChildren: (node?: unknown) => load().explorer.getChildren(node as never),
        getTreeItem: (node: unknown) => load().explorer.getTreeItem(node as never),
      },
    }),
    vscode.languages.registerCodeLensProvider(CODELENS_SELECTOR, {
      onDidChangeCodeLenses: lensesChanged.event,
      provideCodeLenses: (doc, token) => load().lenses.provideCodeLenses(doc, token),
      resolveCodeLens: (lens, token) => load().lenses.resolveCodeLens?.(lens, token) ?? lens,
    }),
    vscode.window.registerWebviewPanelSerializer(RESULTS_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => load().results.restorePanel(panel, state),
    }),
  );
  // Project-file and event diagnostics start with the first such document, after activation.
  if (vscode.workspace.textDocuments.some(isProjectOrEventDocument)) {
    const timer = setTimeout(load, 0);
    context.subscriptions.push({ dispose: () => clearTimeout(timer) });
  } else {
    const sub = vscode.workspace.onDidOpenTextDocument((doc) => {
      if (!isProjectOrEventDocument(doc)) return;
      sub.dispose();
      load();
    });
    context.subscriptions.push(sub);
  }

  // Module evaluation (stamped by esbuild's banner and footer) plus activate() itself; the
  // host's own pause between loading the module and calling activate() is not ours.
  const stamps = globalThis as { __iotAuthzBundleStart?: number; __iotAuthzBundleEnd?: number };
  const moduleMs = (stamps.__iotAuthzBundleEnd ?? 0) - (stamps.__iotAuthzBundleStart ?? 0);
  const activationMs = moduleMs + (performance.now() - started);
  return {
    activationMs,
    get featuresLoadMs() {
      return featuresLoadMs;
    },
    get features() {
      return load().testApi;
    },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
