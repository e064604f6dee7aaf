// Invokes a handler behind AWS IoT's gate: pick the authorizer the request names, build the
// event with real signatures, stop at the signature gate when AWS would, and only then invoke
// the handler in the local runtime. The first half of invokeAuthorizer (invokeAuthorizer.ts),
// which turns what happened into the InvocationResult.
import {
  AuthorizerEventBuild,
  authorizerForRequest,
  buildAuthorizerEvent,
  EventProblem,
  TokenSigner,
  workspacePublicKeys,
  workspaceSigner,
} from '../core/events';
import type { AuthorizerProject } from '../core/project';
import type { DeviceRequest } from '../core/testEvent';
import type { NamedPublicKey } from '../core/tokens';
import type { InvokeOptions, LocalRuntime, RuntimeResult } from './runtime';

export interface GatedInvocationInput {
  readonly project: AuthorizerProject;
  readonly request: DeviceRequest;
  /** The folder holding .iot-authz/keys; default the project file's folder. */
  readonly workspaceRoot?: string;
  /** Default: sign with the workspace key store's private keys. */
  readonly sign?: TokenSigner;
  /** Default: the authorizer's signingKeys read from the workspace key store. */
  readonly publicKeys?: readonly NamedPublicKey[];
  readonly invoke?: InvokeOptions;
  readonly connectionId?: string;
}

export interface GatedInvocation {
  /** The authorizer AWS would use for the request, when there is one. */
  readonly authorizer?: string;
  /** The event and the gate; absent when no authorizer could be chosen. */
  readonly build?: AuthorizerEventBuild;
  /** The handler's run; absent when AWS would not have invoked it (see build.gate). */
  readonly result?: RuntimeResult;
  /** Choosing the authorizer, reading keys and building the event, in that order. */
  readonly problems: readonly EventProblem[];
}

export async function invokeBehindGate(runtime: LocalRuntime, input: GatedInvocationInput): Promise<GatedInvocation> {
  const chosen = authorizerForRequest(input.project, input.request);
  const problems: EventProblem[] = [...chosen.problems];
  const config = chosen.authorizer;
  if (!config) return { problems };
  const root = input.workspaceRoot ?? input.project.dir;
  let publicKeys = input.publicKeys;
  if (!publicKeys && !config.signingDisabled) {
    const loaded = await workspacePublicKeys(root, config);
    publicKeys = loaded.keys;
    problems.push(...loaded.problems);
  }
  const build = await buildAuthorizerEvent({
    request: input.request,
    authorizer: config,
    publicKeys: publicKeys ?? [],
    sign: input.sign ?? workspaceSigner(root),
    connectionId: input.connectionId,
  });
  problems.push(...build.gate.problems);
  if (!build.gate.invoke) return { authorizer: config.name, build, problems };
  const result = await runtime.invoke(config, build.event, input.invoke);
  return { authorizer: config.name, build, result, problems };
}
