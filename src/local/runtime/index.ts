// The local runtime's public surface: run a workspace handler in a child process.
export { LocalRuntime } from './localRuntime';
export type { InvokeOptions, RuntimeOptions, RuntimeResult, RuntimeTimings } from './localRuntime';
export type { RuntimeError, RuntimeErrorCode, RuntimeErrorDetail } from './protocol';
export type { CapturedLogs } from './logCapture';
export { runtimeAssetsDir } from './assets';
