// Runs inside the extension host: reads our activation time (bundle start → end of
// activate) and times a reference hello-world extension loaded the same way.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension<{ activationMs: number; featuresLoadMs?: number; features: unknown }>('iot-authz-dev.iot-authorizer-toolkit');
  if (!ext) throw new Error('extension not loaded');
  const api = await ext.activate();
  // Reading `features` loads the features bundle, as the first command or view would.
  void api.features;
  const featuresLoadMs = api.featuresLoadMs;
  const refPath = path.resolve(__dirname, '../../../bench/fixtures/reference-extension/extension.js');
  const subscriptions: vscode.Disposable[] = [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const reference = require(refPath) as { activate(ctx: { subscriptions: vscode.Disposable[] }): number };
  const referenceMs = reference.activate({ subscriptions });
  subscriptions.forEach((d) => d.dispose());
  const out = process.env.IOT_AUTHZ_TEST_RESULTS;
  if (out) {
    fs.writeFileSync(out, JSON.stringify({ suite: 'bench-activation', passed: 1, failed: 0, skipped: 0, failures: [], durationMs: 0, activationMs: api.activationMs, featuresLoadMs, referenceMs }));
  }
}
