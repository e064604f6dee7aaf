// Entry point: wiring only. Activation registers commands, the explorer and CodeLens
// providers; it does no file or network I/O and loads nothing heavy (each feature module
// does its work when first used).
import * as vscode from 'vscode';
import { registerCommands } from './vscode/commands';
import { createFeatures } from './vscode/features';

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const features = createFeatures(context);
  registerCommands(context, features.log, features.handlers);
  features.register();
  // Module evaluation (stamped by esbuild's banner and footer) plus activate() itself; the
  // host's own pause between loading the module and calling activate() is not ours.
  const stamps = globalThis as { __iotAuthzBundleStart?: number; __iotAuthzBundleEnd?: number };
  const moduleMs = (stamps.__iotAuthzBundleEnd ?? 0) - (stamps.__iotAuthzBundleStart ?? 0);
  const activationMs = moduleMs + (performance.now() - started);
  return { activationMs, features: features.testApi };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

export interface ExtensionApi {
  /** Milliseconds spent evaluating the bundle plus running activate(), read by the bench. */
  readonly activationMs: number;
  /** Hooks the extension-host tests use to observe state without scraping the UI. */
  readonly features: unknown;
}
