// The JSON schemas of the two workspace file kinds, built from constants.ts so a limit or a
// pattern has one home. schemas/*.json are this module's output, checked in for the editor's
// JSON validation, written by esbuild.js (`npm run build`) with package.json's command
// contributions; `node esbuild.js --check` (static suite) and test/unit/events.schema.test.ts fail when they drift.
import { LAMBDA_RUNTIME_IDS } from './lambdaRuntimes';
import {
  LAMBDA_DEFAULT_MEMORY_MB,
  LAMBDA_ENV_NAME_PATTERN,
  LAMBDA_MAX_MEMORY_MB,
  LAMBDA_MIN_MEMORY_MB,
  LAMBDA_RESERVED_ENV,
  AUTHORIZER_NAME_MAX_LENGTH,
  AUTHORIZER_NAME_PATTERN,
  AUTHORIZER_NAME_PARAM,
  MAX_SIGNING_KEYS_PER_AUTHORIZER,
  PROJECT_FILE_NAME,
  SIGNATURE_PARAM,
  SIGNING_KEY_NAME_PATTERN,
  TEST_EVENT_SUFFIX,
  TOKEN_KEY_NAME_MAX_LENGTH,
  TOKEN_KEY_NAME_PATTERN,
} from './constants';
import { CREDENTIAL_PLACES, TEST_PROTOCOLS } from './testEvent';
import { IOT_ACTIONS } from './policy';

type JsonSchema = { [key: string]: unknown };

const DRAFT = 'http://json-schema.org/draft-07/schema#';
const STANDARD_BASE64 = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';

export const SCHEMA_FILES = {
  project: 'schemas/iot-authorizer.schema.json',
  testEvent: 'schemas/authz-event.schema.json',
} as const;

function source(pattern: RegExp): string {
  return pattern.source;
}

/** Schema of `iot-authorizer.json` (parsed by core/project.ts). */
export function projectFileSchema(): JsonSchema {
  const keyName = { type: 'string', pattern: source(SIGNING_KEY_NAME_PATTERN), description: 'A key in .iot-authz/keys/<name>/ (letters, digits, :, _ or -).' };
  return {
    $schema: DRAFT,
    title: `AWS IoT custom authorizer project (${PROJECT_FILE_NAME})`,
    description: 'The authorizers of this workspace: their handler, Lambda runtime, token key name and signing keys.',
    type: 'object',
    properties: {
      $schema: { type: 'string' },
      authorizers: {
        type: 'array',
        description: 'One entry per authorizer.',
        items: { $ref: '#/definitions/authorizer' },
      },
      defaultAuthorizer: {
        type: 'string',
        description: 'The authorizer used when a request names none (AWS SetDefaultAuthorizer). Defaults to the only authorizer when there is one.',
      },
    },
    required: ['authorizers'],
    additionalProperties: false,
    definitions: {
      authorizer: {
        type: 'object',
        properties: {
          name: {
            type: 'string',
            pattern: source(AUTHORIZER_NAME_PATTERN),
            maxLength: AUTHORIZER_NAME_MAX_LENGTH,
            description: 'The authorizer name in AWS, e.g. "MyCustomAuthorizer".',
          },
          handler: {
            type: 'string',
            pattern: '^.+\\.(py|js|mjs|cjs|ts|mts|cts):[^:]+$',
            description: '"path/to/file:function", relative to this file, e.g. "authorizer.py:lambda_handler" or "src/index.ts:handler".',
          },
          runtime: {
            enum: [...LAMBDA_RUNTIME_IDS],
            description: 'The Lambda runtime id; must match the handler\'s language.',
          },
          environment: {
            type: 'object',
            description: 'The function\'s environment variables (Lambda Environment.Variables); local runs give the handler these and Lambda\'s own, nothing else.',
            propertyNames: { pattern: source(LAMBDA_ENV_NAME_PATTERN), not: { enum: [...LAMBDA_RESERVED_ENV] } },
            additionalProperties: { type: 'string' },
          },
          memorySize: {
            type: 'integer',
            minimum: LAMBDA_MIN_MEMORY_MB,
            maximum: LAMBDA_MAX_MEMORY_MB,
            default: LAMBDA_DEFAULT_MEMORY_MB,
            description: 'The function\'s memory size in MB (Lambda MemorySize); a local run that uses more is reported.',
          },
          tokenKeyName: {
            type: 'string',
            pattern: source(TOKEN_KEY_NAME_PATTERN),
            maxLength: TOKEN_KEY_NAME_MAX_LENGTH,
            description: 'The header, query parameter or MQTT username parameter that carries the token, e.g. "X-My-Token". Required when signing is enabled.',
          },
          signingDisabled: {
            type: 'boolean',
            default: false,
            description: 'True: AWS invokes the authorizer for every request without checking a token signature. Cannot be changed after the authorizer is created.',
          },
          signingKeys: {
            type: 'array',
            items: keyName,
            maxItems: MAX_SIGNING_KEYS_PER_AUTHORIZER,
            uniqueItems: true,
            description: `Names of the token signing keys (tokenSigningPublicKeys); at most ${MAX_SIGNING_KEYS_PER_AUTHORIZER}, room for one rotation.`,
          },
          enableCachingForHttp: { type: 'boolean', default: false, description: 'Cache the authorizer result for HTTP connections for refreshAfterInSeconds.' },
          status: { enum: ['ACTIVE', 'INACTIVE'], default: 'ACTIVE', description: 'AWS invokes only ACTIVE authorizers.' },
          aws: {
            type: 'object',
            description: 'Where and how to deploy.',
            properties: {
              functionName: { type: 'string', description: 'The Lambda function name; defaults to the authorizer name.' },
              roleArn: { type: 'string', pattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/.+$', description: 'Execution role of the Lambda function.' },
              region: { type: 'string', description: 'AWS region, e.g. "eu-west-1".' },
              profile: { type: 'string', description: 'AWS CLI profile to use.' },
            },
            additionalProperties: false,
          },
          description: { type: 'string' },
        },
        required: ['name', 'handler', 'runtime'],
        additionalProperties: false,
        if: { not: { properties: { signingDisabled: { const: true } }, required: ['signingDisabled'] } },
        then: { required: ['tokenKeyName', 'signingKeys'] },
      },
    },
  };
}

/** Schema of `*.authz.json` test events (parsed by core/testEvent.ts). */
export function testEventSchema(): JsonSchema {
  const credentialPlaceRules = TEST_PROTOCOLS.map((protocol) => ({
    if: { properties: { protocol: { const: protocol } }, required: ['protocol'] },
    then: { properties: { credentials: { properties: { in: { enum: [...CREDENTIAL_PLACES[protocol]] } } } } },
  }));
  return {
    $schema: DRAFT,
    title: `AWS IoT custom authorizer test event (*${TEST_EVENT_SUFFIX})`,
    description: 'A request as the device sends it. Running it builds the event AWS IoT passes to the authorizer Lambda.',
    type: 'object',
    properties: {
      $schema: { type: 'string' },
      description: { type: 'string', description: 'What this event tests.' },
      authorizer: {
        type: 'string',
        pattern: source(AUTHORIZER_NAME_PATTERN),
        maxLength: AUTHORIZER_NAME_MAX_LENGTH,
        description: `The authorizer the request is for. "credentials" sends it as ${AUTHORIZER_NAME_PARAM}; without a name AWS uses the default authorizer.`,
      },
      protocol: {
        enum: [...TEST_PROTOCOLS],
        description: '"http": HTTPS publish. "mqtt": MQTT over TLS (port 443, ALPN mqtt). "mqtt-wss": MQTT over WebSocket (wss://<endpoint>/mqtt).',
      },
      serverName: { type: 'string', description: 'TLS SNI: the endpoint the device connects to, e.g. "abc123-ats.iot.eu-west-1.amazonaws.com".' },
      sourceIp: { type: 'string', description: 'The device\'s IP address, read by aws:SourceIp conditions, e.g. "203.0.113.7".' },
      operations: {
        type: 'array',
        description: 'Operations to check against the returned policies (shown in the policy table), e.g. [{"action": "iot:Publish", "topic": "a/b"}].',
        items: {
          type: 'object',
          properties: {
            action: { enum: [...IOT_ACTIONS] },
            topic: { type: 'string', description: 'Topic name for iot:Publish, iot:Receive, iot:RetainPublish.' },
            topicFilter: { type: 'string', description: 'Topic filter for iot:Subscribe, e.g. "devices/+/state".' },
            clientId: { type: 'string', description: 'Client id for iot:Connect (default: the event\'s).' },
          },
          required: ['action'],
          additionalProperties: false,
        },
      },
      headers: {
        type: 'object',
        description: 'HTTPS request or WebSocket upgrade headers as sent. "host" and, for mqtt-wss, the upgrade headers are added when absent. A value may be {"sign": "<keyName>"}.',
        additionalProperties: { $ref: '#/definitions/signable' },
      },
      queryString: {
        description: 'The query string as sent ("?a=b&c=d", values URL-encoded), or an object of plain values to URL-encode (a value may be {"sign": "<keyName>"}).',
        oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: { $ref: '#/definitions/signable' } }],
      },
      mqtt: {
        type: 'object',
        description: 'The MQTT CONNECT packet\'s fields.',
        properties: {
          clientId: { type: 'string', description: 'Left out of the event when not given, as AWS does when the device sends none.' },
          username: { type: 'string', description: `The user name as sent, e.g. "user?${AUTHORIZER_NAME_PARAM}=N&<tokenKeyName>=T&${SIGNATURE_PARAM}=<URL-encoded S>".` },
          password: { type: 'string', description: 'The password as text; the Lambda receives it base64-encoded.' },
          passwordBase64: { type: 'string', pattern: STANDARD_BASE64, description: 'A binary password, base64.' },
          cleanSession: {
            type: 'boolean',
            description: 'The CONNECT Clean Session (MQTT 5: Clean Start) flag; false asks for a persistent session (iot:ConnectAttributes "PersistentConnect"). Without it, iot:ConnectAttributes conditions stay undecided.',
          },
          will: {
            type: 'object',
            description: 'The CONNECT will message, if the device sends one (iot:ConnectAttributes "LastWill").',
            properties: {
              topic: { type: 'string', minLength: 1 },
              message: { type: 'string' },
              qos: { enum: [0, 1] },
              retain: { type: 'boolean' },
            },
            required: ['topic'],
            additionalProperties: false,
          },
        },
        additionalProperties: false,
        not: { required: ['password', 'passwordBase64'] },
      },
      credentials: {
        type: 'object',
        description: 'Token and signature placed where the device puts them, encoded as the AWS device SDKs do.',
        properties: {
          token: { type: 'string', description: 'The token, sent under the authorizer\'s tokenKeyName.' },
          signature: { $ref: '#/definitions/signable', description: 'Base64 signature as sent, or {"sign": "<keyName>"} to sign the token when the event runs.' },
          in: { enum: ['headers', 'query', 'mqtt-username'], description: 'Where they go. Default: headers for http, mqtt-username for mqtt, query for mqtt-wss.' },
          authorizerName: { type: 'string', pattern: source(AUTHORIZER_NAME_PATTERN), description: `Sent as ${AUTHORIZER_NAME_PARAM}; defaults to "authorizer".` },
        },
        required: ['token'],
        additionalProperties: false,
      },
    },
    required: ['protocol'],
    additionalProperties: false,
    allOf: credentialPlaceRules,
    definitions: {
      signable: {
        oneOf: [
          { type: 'string' },
          {
            type: 'object',
            properties: { sign: { type: 'string', pattern: source(SIGNING_KEY_NAME_PATTERN), description: 'Sign the request\'s token with this key from .iot-authz/keys/ when the event runs.' } },
            required: ['sign'],
            additionalProperties: false,
          },
        ],
      },
    },
  };
}

/** The text written to schemas/*.json. */
export function schemaText(schema: JsonSchema): string {
  return JSON.stringify(schema, null, 2) + '\n';
}
