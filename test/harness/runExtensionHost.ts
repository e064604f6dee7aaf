// Usage: node out/test/harness/runExtensionHost.js <results.json>
import * as fs from 'fs';
import { runExtensionHostSuites } from './extensionHost';

runExtensionHostSuites().then(
  (r) => {
    fs.writeFileSync(process.argv[2], JSON.stringify(r, null, 2));
    process.exit(r.failed > 0 ? 1 : 0);
  },
  (e: unknown) => {
    console.error('[ext-host] harness error:', e);
    fs.writeFileSync(
      process.argv[2],
      JSON.stringify({ suite: 'extension-host', passed: 0, failed: 1, skipped: 0, failures: [{ title: 'harness', error: String(e) }], durationMs: 0 }),
    );
    process.exit(1);
  },
);
