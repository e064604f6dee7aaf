// The local layer: run handlers on this machine (runtime/) and test events through them.
export * from './runtime';
export { invokeBehindGate } from './invokeBehindGate';
export type { GatedInvocation, GatedInvocationInput } from './invokeBehindGate';
