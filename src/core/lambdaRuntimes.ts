// The Lambda runtimes an authorizer handler can be deployed with, and when AWS stops taking
// them. One table, read by the project checks, the deploy plan and the docs. Dates are AWS's
// published schedule (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, as of its
// July 2026 revision: docs/aws-custom-auth.md says how it was read); after `blockCreate`
// CreateFunction refuses the runtime, after `blockUpdate` UpdateFunction* does too. AWS moves
// these dates (in mid-2026 it pushed every deprecated runtime's blocks to 2027-02-01/2027-03-03).

export interface LambdaRuntimeInfo {
  readonly id: string;
  readonly language: 'python' | 'nodejs';
  /** ISO dates (UTC). */
  readonly deprecation: string;
  readonly blockCreate: string;
  readonly blockUpdate: string;
}

export const LAMBDA_RUNTIMES: readonly LambdaRuntimeInfo[] = [
  { id: 'nodejs24.x', language: 'nodejs', deprecation: '2028-04-30', blockCreate: '2028-06-01', blockUpdate: '2028-07-01' },
  { id: 'nodejs22.x', language: 'nodejs', deprecation: '2027-04-30', blockCreate: '2027-06-01', blockUpdate: '2027-07-01' },
  { id: 'nodejs20.x', language: 'nodejs', deprecation: '2026-04-30', blockCreate: '2027-02-01', blockUpdate: '2027-03-03' },
  { id: 'nodejs18.x', language: 'nodejs', deprecation: '2025-09-01', blockCreate: '2027-02-01', blockUpdate: '2027-03-03' },
  { id: 'nodejs16.x', language: 'nodejs', deprecation: '2024-06-12', blockCreate: '2027-02-01', blockUpdate: '2027-03-03' },
  { id: 'python3.14', language: 'python', deprecation: '2029-06-30', blockCreate: '2029-07-31', blockUpdate: '2029-08-31' },
  { id: 'python3.13', language: 'python', deprecation: '2029-06-30', blockCreate: '2029-07-31', blockUpdate: '2029-08-31' },
  { id: 'python3.12', language: 'python', deprecation: '2028-10-31', blockCreate: '2028-11-30', blockUpdate: '2029-01-10' },
  { id: 'python3.11', language: 'python', deprecation: '2027-06-30', blockCreate: '2027-07-31', blockUpdate: '2027-08-31' },
  { id: 'python3.10', language: 'python', deprecation: '2026-10-31', blockCreate: '2027-02-01', blockUpdate: '2027-03-03' },
  { id: 'python3.9', language: 'python', deprecation: '2025-12-15', blockCreate: '2027-02-01', blockUpdate: '2027-03-03' },
  { id: 'python3.8', language: 'python', deprecation: '2024-10-14', blockCreate: '2027-02-01', blockUpdate: '2027-03-03' },
];

/** Every runtime id in the table: what a project file may name (deploy then checks the dates). */
export const LAMBDA_RUNTIME_IDS: readonly string[] = LAMBDA_RUNTIMES.map((r) => r.id);

export type RuntimeStanding = 'supported' | 'deprecated' | 'create-blocked' | 'update-blocked' | 'unknown';

export interface RuntimeCheck {
  readonly standing: RuntimeStanding;
  readonly info?: LambdaRuntimeInfo;
  /** For anything but `supported`: what AWS does with it and what to pick instead. */
  readonly message?: string;
}

/** The newest supported runtime of a language on `now`, to suggest instead of an old one. */
export function newestRuntime(language: 'python' | 'nodejs', now: Date = new Date()): LambdaRuntimeInfo | undefined {
  const day = now.toISOString().slice(0, 10);
  return LAMBDA_RUNTIMES.find((r) => r.language === language && r.deprecation > day);
}

/**
 * How AWS treats `runtime` on `now`. `creating`: the function does not exist yet (CreateFunction
 * is blocked before UpdateFunction* is).
 */
export function checkLambdaRuntime(runtime: string, now: Date = new Date(), creating = true): RuntimeCheck {
  const info = LAMBDA_RUNTIMES.find((r) => r.id === runtime);
  if (!info) return { standing: 'unknown', message: `"${runtime}" is not in the toolkit's table of Lambda runtimes (${LAMBDA_RUNTIMES.map((r) => r.id).join(', ')}).` };
  const day = now.toISOString().slice(0, 10);
  const instead = newestRuntime(info.language, now);
  const pick = instead ? ` Set "runtime": "${instead.id}" in iot-authorizer.json.` : '';
  if (day >= info.blockUpdate) {
    return { standing: 'update-blocked', info, message: `AWS Lambda no longer accepts runtime ${runtime}: creating and updating functions with it is blocked since ${info.blockUpdate} (deprecated ${info.deprecation}).${pick}` };
  }
  if (creating && day >= info.blockCreate) {
    return { standing: 'create-blocked', info, message: `AWS Lambda no longer creates functions with runtime ${runtime} (blocked since ${info.blockCreate}; updates are blocked from ${info.blockUpdate}).${pick}` };
  }
  if (day >= info.deprecation) {
    return { standing: 'deprecated', info, message: `Runtime ${runtime} is deprecated since ${info.deprecation}: AWS blocks creating functions with it from ${info.blockCreate} and updating them from ${info.blockUpdate}.${pick}` };
  }
  return { standing: 'supported', info };
}
