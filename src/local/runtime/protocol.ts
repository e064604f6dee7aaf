// The messages between LocalRuntime and a worker process, one JSON object per line. The Node
// worker imports these types; python_bootstrap.py writes the same shapes by hand, so a change
// here is a change there. Handler stdout/stderr never carry protocol data: they are the logs.

/** Every way a local invocation can fail, each with its own message and fix. */
export type RuntimeErrorCode =
  /** The handler file named in iot-authorizer.json does not exist. */
  | 'HANDLER_FILE_NOT_FOUND'
  /** python3 (or the configured interpreter / node) could not be started. */
  | 'INTERPRETER_NOT_FOUND'
  /** A TypeScript handler, but no esbuild to bundle it with. */
  | 'TYPESCRIPT_COMPILER_NOT_FOUND'
  /** The handler or a file it imports does not parse; detail has file and line. */
  | 'SYNTAX_ERROR'
  /** A module the handler imports cannot be found or fails to import. */
  | 'IMPORT_ERROR'
  /** The handler module raised / threw while loading (top-level code). */
  | 'INIT_ERROR'
  /** The module has no function of the configured name; detail lists those it has. */
  | 'FUNCTION_NOT_FOUND'
  /** The handler raised / threw / rejected / passed an error to its callback. */
  | 'HANDLER_EXCEPTION'
  /** The handler returned nothing (None, undefined, null): AWS refuses the connection. */
  | 'NO_RESPONSE'
  /** The returned value cannot be serialized to JSON. */
  | 'RESPONSE_NOT_JSON'
  /** The serialized answer exceeds Lambda's response limit. */
  | 'RESPONSE_TOO_LARGE'
  /** No answer within the timeout (detail.phase says whether loading or invoking). */
  | 'TIMEOUT'
  /** The worker process ended without answering (the handler exited, a crash, out of memory). */
  | 'WORKER_EXITED';

export interface RuntimeErrorDetail {
  /** Where a syntax error (or the failing import) is. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** The module that could not be found, e.g. `requests`. */
  readonly missingModule?: string;
  /** FUNCTION_NOT_FOUND: the functions the module does export. */
  readonly availableFunctions?: readonly string[];
  /** The exception's class / constructor name, e.g. `KeyError`, `TypeError`. */
  readonly errorType?: string;
  /** The exception's traceback / stack, runtime frames removed. */
  readonly stack?: string;
  /** TIMEOUT: `init` (loading the module) or `invoke` (running the handler). */
  readonly phase?: 'init' | 'invoke';
  readonly timeoutMs?: number;
  /** WORKER_EXITED. */
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  /** RESPONSE_TOO_LARGE. */
  readonly sizeBytes?: number;
  readonly limitBytes?: number;
  /** The interpreter / compiler that was looked for. */
  readonly command?: string;
}

export interface RuntimeError {
  readonly code: RuntimeErrorCode;
  /** One or two sentences: what went wrong and what to do. */
  readonly message: string;
  readonly detail?: RuntimeErrorDetail;
}

/** The Lambda context values the worker turns into the handler's context object. */
export interface LambdaContextFields {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly memoryLimitInMB: number;
  readonly invokedFunctionArn: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Epoch milliseconds at which the invocation times out. */
  readonly deadlineMs: number;
}

export type WorkerRequest =
  | {
      readonly type: 'invoke';
      readonly id: number;
      /** `handler`, or a dotted path such as `handlers.auth` for nested exports. */
      readonly functionName: string;
      readonly event: unknown;
      readonly context: LambdaContextFields;
    }
  /** Echoes `payload`: measures the channel alone (the bench's warm reference). */
  | { readonly type: 'echo'; readonly id: number; readonly payload: unknown };

export type WorkerMessage =
  | {
      readonly type: 'ready';
      /** The interpreter's version, e.g. `3.12.1` or `v20.11.0`. */
      readonly version: string;
      /** Time spent loading the handler module (and bundling it, for TypeScript). */
      readonly initMs: number;
      /** Source files the handler loaded; a change to one restarts the worker. */
      readonly files: readonly string[];
      /** Present when loading failed; the worker exits after sending it. */
      readonly error?: RuntimeError;
    }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly durationMs: number;
      readonly response?: unknown;
      readonly error?: RuntimeError;
      /** Files loaded since the last report (lazy imports inside the handler). */
      readonly files?: readonly string[];
      /** The worker's peak resident memory so far, in KiB (getrusage's ru_maxrss). */
      readonly maxRssKb?: number;
    }
  | { readonly type: 'echo'; readonly id: number; readonly payload: unknown };

/** Settings passed to a worker in the IOT_AUTHZ_WORKER environment variable (JSON). */
export interface WorkerSettings {
  readonly handlerFile: string;
  /** Written to each log stream after an invocation's output, with the request id. */
  readonly logMarker: string;
  readonly maxResponseBytes: number;
  readonly scanMaxDepth: number;
  readonly scanMaxFiles: number;
}

export const WORKER_SETTINGS_ENV = 'IOT_AUTHZ_WORKER';

/**
 * Worker → runtime lines start with a per-run random nonce, which the runtime sends as the
 * first line of the request channel before the handler loads (never in the environment,
 * which a handler can read back from /proc). A handler writing to the channel's file
 * descriptor cannot know it, so its lines are refused instead of read as answers.
 */
export function framedLine(nonce: string, json: string): string {
  return `${nonce}${json}\n`;
}

/** The line a worker writes to each log stream once an invocation's output is complete. */
export function logMarkerLine(marker: string, id: number): string {
  return `${marker}${id}\n`;
}
