// The same extension-host suites under desktop VS Code, where it can be downloaded:
// `npx tsc -p tsconfig.test.json && node scripts/ensure-example-key.js && npx vscode-test`.
// On display-less machines without a VS Code download, `npm test` runs them in code-server.
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  label: 'extension-host',
  files: 'out/test/suite/**/*.test.js',
  workspaceFolder: './examples/workspace',
  mocha: { ui: 'tdd', timeout: 30000 },
});
