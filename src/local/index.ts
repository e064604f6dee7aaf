// The local layer: run handlers on this machine (runtime/) and test events through them.
export * from './runtime';
export { runTestEvent } from './runTestEvent';
export type { TestEventRun, TestEventRunInput } from './runTestEvent';
