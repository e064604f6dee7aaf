// A retained publish is a publish: AWS IoT checks iot:Publish and iot:RetainPublish on the
// topic, and refuses the message unless both are allowed ("AWS IoT Core policy actions":
// iot:RetainPublish "... in addition to iot:Publish").
import type { AuthorizationDecision } from './policy';

/** The RetainPublish decision once the Publish decision for the same topic is known. */
export function retainNeedsPublish(retain: AuthorizationDecision, publish: AuthorizationDecision): AuthorizationDecision {
  if (publish.allowed || !retain.allowed)
    return {
      ...retain,
      unsupported: [...publish.unsupported.filter((u) => !retain.unsupported.includes(u)), ...retain.unsupported],
      certain: retain.certain && publish.certain,
    };
  return {
    ...publish,
    action: retain.action,
    resourceArn: retain.resourceArn,
    unsupported: [...retain.unsupported, ...publish.unsupported],
    certain: publish.certain,
  };
}
