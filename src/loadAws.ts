// The AWS layer is its own bundle (dist/aws.js, the AWS SDK): the CLI and the editor features
// load it only when something talks to AWS, so activation and `iot-authz sign` stay as fast.
import * as fs from 'fs';
import * as path from 'path';
import type * as AwsLayer from './aws';

export type AwsModule = typeof AwsLayer;

let loaded: AwsModule | undefined;

export function loadAws(): AwsModule {
  if (loaded) return loaded;
  // The SDK warns on every run under Node 20 about its own future Node support; the CLI's
  // supported range is the package's engines field, so keep that notice out of its output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Bundled: dist/aws.js beside dist/cli.js and dist/features.js. Compiled by tsc (tests): src/aws.
  const bundled = path.join(__dirname, 'aws.js');
  const target = fs.existsSync(bundled) ? bundled : path.join(__dirname, 'aws');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded = require(target) as AwsModule;
  return loaded;
}
