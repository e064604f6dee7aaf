// The shape every suite (unit, extension host, UI, e2e) reports to scripts/run-tests.js.
export interface SuiteResults {
  readonly suite: string;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly failures: Array<{ title: string; error: string }>;
  readonly durationMs: number;
}
