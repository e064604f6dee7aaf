// Limits a local run does not enforce but AWS does: the function's configured memory and the
// time AWS IoT waits for an authorizer, which on a cold start includes loading the handler.
// A run over them still answers locally; these findings say it would fail in AWS.
import { LAMBDA_INIT_TIMEOUT_MS, LAMBDA_TIMEOUT_MS } from '../../core/constants';

export interface RunMeasures {
  readonly cold: boolean;
  readonly initMs?: number;
  readonly invokeMs?: number;
  /** Peak resident memory of the worker, KiB. */
  readonly maxRssKb?: number;
  /** The function's configured memory size, MB. */
  readonly memoryMb: number;
}

export function limitFindings(m: RunMeasures): string[] {
  const findings: string[] = [];
  if (m.maxRssKb !== undefined && m.maxRssKb / 1024 > m.memoryMb) {
    findings.push(`The handler's process used ${Math.round(m.maxRssKb / 1024)} MB at its peak; the function is configured for ${m.memoryMb} MB, so in Lambda it would run out of memory and the connection fail. Raise "memorySize" or use less memory. (Local peak includes the interpreter, as Lambda's "Max Memory Used" does.)`);
  }
  if (m.cold && m.initMs !== undefined) {
    if (m.initMs > LAMBDA_INIT_TIMEOUT_MS) {
      findings.push(`Loading the handler took ${Math.round(m.initMs)} ms; Lambda stops an init phase after ${LAMBDA_INIT_TIMEOUT_MS} ms.`);
    } else if (m.initMs + (m.invokeMs ?? 0) > LAMBDA_TIMEOUT_MS) {
      findings.push(`This cold start took ${Math.round(m.initMs + (m.invokeMs ?? 0))} ms (loading ${Math.round(m.initMs)} ms); AWS IoT waits ${LAMBDA_TIMEOUT_MS} ms for an authorizer, so the first connection after a cold start would fail. Move slow work out of module load or keep the function warm.`);
    }
  }
  return findings;
}
