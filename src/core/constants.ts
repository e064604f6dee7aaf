// One home for every AWS IoT custom-authorizer limit and name. Validation, docs, templates
// and tests import these; no other file spells the numbers.
// Source: ../shared/domain/aws-iot-custom-auth.md (sections noted).

/** docs/aws-custom-auth.md, "Signing keys and tokens": AWS accepts RSA signing keys of at least this size. */
export const MIN_RSA_BITS = 2048;
export const ALLOWED_KEYGEN_BITS = [2048, 3072, 4096] as const;

/** docs/aws-custom-auth.md, "Control-plane limits": TestInvokeAuthorizer limits. */
export const MAX_TOKEN_LENGTH = 6144;
export const MAX_SIGNATURE_LENGTH = 2560;

/** docs/aws-custom-auth.md, "The authorizer's response": response rules. */
export const PRINCIPAL_ID_PATTERN = /^[a-zA-Z0-9]+$/;
export const PRINCIPAL_ID_MAX_LENGTH = 128;
export const MAX_POLICY_DOCUMENTS = 10;
export const MAX_POLICY_DOCUMENT_LENGTH = 2048;
export const MIN_REFRESH_SECONDS = 300;
export const MAX_REFRESH_SECONDS = 86400;
export const MIN_DISCONNECT_SECONDS = 300;
export const MAX_DISCONNECT_SECONDS = 86400;
/** docs/aws-custom-auth.md, "The authorizer's response": AWS's values for an answer that omits refreshAfterInSeconds / disconnectAfterInSeconds. */
export const DEFAULT_REFRESH_SECONDS = 300;
export const DEFAULT_DISCONNECT_SECONDS = 86400;
export const LAMBDA_TIMEOUT_MS = 5000;

/** docs/aws-custom-auth.md, "Control-plane limits": CreateAuthorizer field rules. */
export const AUTHORIZER_NAME_PATTERN = /^[\w=,@-]+$/;
export const AUTHORIZER_NAME_MAX_LENGTH = 128;
export const TOKEN_KEY_NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;
export const TOKEN_KEY_NAME_MAX_LENGTH = 128;
export const SIGNING_KEY_NAME_PATTERN = /^[a-zA-Z0-9:_-]+$/;
export const PUBLIC_KEY_PEM_MAX_LENGTH = 5120;
/** docs/aws-custom-auth.md, "Signing keys and tokens": room for one rotation. */
export const MAX_SIGNING_KEYS_PER_AUTHORIZER = 2;

/** docs/aws-custom-auth.md, "Credentials on the wire": names of the custom-auth parameters. */
export const AUTHORIZER_NAME_PARAM = 'x-amz-customauthorizer-name';
export const SIGNATURE_PARAM = 'x-amz-customauthorizer-signature';

/** Problems listed per JSON file; a file with more gets one line saying the rest are not listed. */
export const JSON_MAX_ISSUES = 200;
/** Standard input read for `--token -` and similar: far above any token AWS accepts. */
export const STDIN_MAX_BYTES = 1024 * 1024;

/** The workspace files this product reads. */
export const PROJECT_FILE_NAME = 'iot-authorizer.json';
export const TEST_EVENT_SUFFIX = '.authz.json';
export const KEY_STORE_DIR = '.iot-authz/keys';
export const PRIVATE_KEY_FILE = 'private_key.pem';
export const PUBLIC_KEY_FILE = 'public_key.pem';

/** Signing keys and tokens (docs/aws-custom-auth.md, "Signing keys and tokens"): the workspace key store. */
export const DEFAULT_KEYGEN_BITS = 2048;
export const RSA_PUBLIC_EXPONENT = 65537;
/** docs/aws-custom-auth.md, "Signing keys and tokens": AWS verifies RSA PKCS#1 v1.5 over this digest of the token's UTF-8 bytes. */
export const TOKEN_SIGNATURE_HASH = 'sha256';
/** Cipher for private keys written with a passphrase (PKCS#8, as `openssl pkcs8 -topk8 -v2 aes-256-cbc`). */
export const PRIVATE_KEY_CIPHER = 'aes-256-cbc';
/** A fingerprint's short form: its first bytes, enough to tell a rotation's two keys apart. */
export const FINGERPRINT_SHORT_BYTES = 6;
/** GNU `base64` wraps its output at this column unless given `-w0`. */
export const GNU_BASE64_WRAP_COLUMNS = 76;
export const PRIVATE_KEY_FILE_MODE = 0o600;
export const PUBLIC_KEY_FILE_MODE = 0o644;
export const KEY_DIR_MODE = 0o700;
/** What `addKeyDirToGitignore` appends. */
export const KEY_STORE_GITIGNORE_ENTRY = `${KEY_STORE_DIR}/`;
/** The editor setting that says where new private keys go: "workspaceFile" or "secretStorage". */
export const PRIVATE_KEY_STORAGE_SETTING = 'iotAuthz.keys.privateKeyStorage';
/** SecretStorage entries are `<prefix>/<workspace folder uri>/<keyName>`. */
export const PRIVATE_KEY_SECRET_PREFIX = 'iotAuthz.privateKey';

/** docs/aws-custom-auth.md, "Policy evaluation": the policy language version that substitutes policy variables. */
export const IOT_POLICY_VERSION = '2012-10-17';
/** Used to build ARNs when the caller names no partition. */
export const DEFAULT_ARN_PARTITION = 'aws';
/** The AWS account id format, to spot placeholders such as `<your_aws_account_id>` in ARNs. */
export const AWS_ACCOUNT_ID_PATTERN = /^\d{12}$/;
/** An AWS region name such as `eu-west-1` or `us-gov-west-1`. */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Local runtime (docs/aws-custom-auth.md, "Local runtime"): how the workspace handler is run on this machine. */
/** Lambda's init phase limit: module load (and TypeScript bundling) must finish within it. */
export const LAMBDA_INIT_TIMEOUT_MS = 10_000;
/** Lambda's synchronous invoke response limit (6 MB); a bigger answer fails in AWS. */
export const LAMBDA_MAX_RESPONSE_BYTES = 6_291_556;
/** What the context reports as memory_limit_in_mb / memoryLimitInMB (Lambda's default). */
export const LAMBDA_DEFAULT_MEMORY_MB = 128;
/** Lambda's memory size range for a function (MemorySize). */
export const LAMBDA_MIN_MEMORY_MB = 128;
export const LAMBDA_MAX_MEMORY_MB = 10_240;
/** Lambda environment variable names: a letter, then letters, digits and underscores. */
export const LAMBDA_ENV_NAME_PATTERN = /^[a-zA-Z]\w*$/;
/** Variables the Lambda runtime sets itself; a function's configuration cannot set them. */
export const LAMBDA_RESERVED_ENV: readonly string[] = [
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
];
/** The locale the Lambda runtimes set. */
export const LAMBDA_LANG = 'en_US.UTF-8';
/** Used in ARNs and log names of the local context when the project names no region/account. */
export const LOCAL_DEFAULT_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '123456789012';
/**
 * Lambda sets AWS_REGION but no account id variable: generated handlers read the account for
 * their policy ARNs from this one (set it on the function), and local runs set it.
 */
export const ACCOUNT_ID_ENV = 'AWS_ACCOUNT_ID';
/** Handler stdout/stderr kept per invocation; the rest is dropped and `truncated` set. */
export const LOG_CAPTURE_MAX_BYTES = 1024 * 1024;
/** Where the user points the toolkit at Python; error messages name both. */
export const PYTHON_PATH_SETTING = 'iotAuthz.pythonPath';
/** The editor's limit for one handler call; defaults to LAMBDA_TIMEOUT_MS (raise it to debug). */
export const LOCAL_TIMEOUT_SETTING = 'iotAuthz.local.timeoutMs';
export const LOCAL_TIMEOUT_MIN_MS = 100;
/** Lambda's own maximum function timeout (15 minutes). */
export const LAMBDA_MAX_TIMEOUT_MS = 900_000;
/** After a worker exits, how long its pipes may still deliver output before the run settles. */
export const WORKER_EXIT_DRAIN_MS = 250;
export const PYTHON_PATH_CLI_OPTION = '--python';
/** The runtime files next to the bundles (built by esbuild.js into dist/runtime). */
export const RUNTIME_ASSETS_DIR = 'runtime';
export const NODE_WORKER_FILE = 'nodeWorker.js';
export const PYTHON_BOOTSTRAP_FILE = 'python_bootstrap.py';
/** The esbuild-wasm package esbuild.js copies into dist/runtime, for TypeScript handlers without esbuild. */
export const ESBUILD_WASM_DIR = 'esbuild-wasm';
/** An ES module handler's sources are found by scanning its folder, this deep and this many at most. */
export const HANDLER_SCAN_MAX_DEPTH = 4;
export const HANDLER_SCAN_MAX_FILES = 500;
/** Test events: the SNI used when an event file names no serverName, as `<id>-ats.iot.<region>.amazonaws.com`. */
export const PLACEHOLDER_ENDPOINT_ID = 'a1b2c3d4e5f6g7';
/** The WebSocket version every client sends in its upgrade request (RFC 6455). */
export const WEBSOCKET_VERSION = '13';
/** The WebSocket sub-protocol AWS IoT clients ask for (the SDKs' browser MQTT 3.1.1 client asks for `mqttv3.1`: docs/aws-custom-auth.md). */
export const MQTT_WEBSOCKET_SUBPROTOCOL = 'mqtt';

/** The local endpoint (`iot-authz endpoint`): AWS's wire names and limits it answers with. */
export const ENDPOINT_DEFAULT_HOST = '127.0.0.1';
/**
 * Invocations of one function the local endpoint runs at once, each in its own worker process
 * (as each Lambda execution environment serves one request at a time). AWS scales up to the
 * account's concurrency limit; locally a handful keeps a burst of CONNECTs to a handler that
 * waits on I/O from queueing behind itself without a process per device.
 */
export const ENDPOINT_DEFAULT_CONCURRENCY = 4;
/** The most `--concurrency` accepts: each is a process with the handler loaded. */
export const ENDPOINT_MAX_CONCURRENCY = 64;
/**
 * Pending connections each endpoint listener queues (Node's default is 511; the kernel caps it at
 * net.core.somaxconn). A fleet of 1,000 devices connecting at once overflowed 511, and each
 * dropped handshake waited a TCP retransmission (1 s or more) before its CONNECT arrived.
 */
export const ENDPOINT_LISTEN_BACKLOG = 4096;
/** The service principal an authorizer's Lambda resource policy must allow (`add-permission --principal`). */
export const IOT_SERVICE_PRINCIPAL = 'iot.amazonaws.com';
/** Lambda's REST API version: every Lambda path starts with it. */
export const LAMBDA_API_VERSION_PATH = '/2015-03-31';
/** AWS IoT's largest message payload (128 KB); a bigger HTTP publish is refused with 413. */
export const IOT_MAX_PAYLOAD_BYTES = 128 * 1024;
/** A control-plane JSON body other than function code. */
export const CONTROL_PLANE_MAX_BODY_BYTES = 1024 * 1024;
/** Lambda's direct zip upload limit (50 MB), base64 in a JSON body (4/3 of it, plus slack). */
export const LAMBDA_ZIP_MAX_BYTES = 50 * 1024 * 1024;
export const LAMBDA_CODE_REQUEST_MAX_BYTES = Math.ceil((LAMBDA_ZIP_MAX_BYTES * 4) / 3) + 64 * 1024;
/** Lambda's limit on the unzipped deployment package (250 MB). */
export const LAMBDA_UNZIPPED_MAX_BYTES = 262_144_000;
/** Lambda's default function timeout (3 s) and its bounds, in seconds. */
export const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
/** Lambda names and patterns (the Lambda API model). */
export const LAMBDA_FUNCTION_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const LAMBDA_STATEMENT_ID_PATTERN = /^[a-zA-Z0-9_.-]{1,100}$/;
export const LAMBDA_ACTION_PATTERN = /^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/;
export const LAMBDA_ROLE_PATTERN = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
/** The Lambda runtimes the local runtime can run (the rest are refused with InvalidParameterValueException). */
export const ENDPOINT_RUNTIME_PATTERN = /^(python3\.\d+|nodejs\d+\.x)$/;
/** ListAuthorizers page size bounds (the IoT API model). */
export const LIST_AUTHORIZERS_MAX_PAGE_SIZE = 250;
/** Published messages the endpoint keeps for `GET /_iot-authz/messages` (and part 2's subscribers). */
export const ENDPOINT_RECENT_MESSAGES = 1000;
/** Decisions kept in memory for the in-process API and `GET /_iot-authz/decisions`. */
export const ENDPOINT_RECENT_DECISIONS = 500;
/** The endpoint's own paths (AWS has none under it). */
export const ENDPOINT_LOCAL_PATH_PREFIX = '/_iot-authz';
/** How long a new or updated local function stays Pending / InProgress before Active / Successful. */
export const FUNCTION_ACTIVATION_DELAY_MS = 250;

/** AWS (deploy, test-invoke, the account's authorizers). */
/** DescribeEndpoint type of the data-plane endpoint devices connect to. */
export const IOT_DATA_ENDPOINT_TYPE = 'iot:Data-ATS';
/** The editor setting and CLI option that point every AWS client at another endpoint (local endpoint, LocalStack). */
export const AWS_ENDPOINT_URL_SETTING = 'iotAuthz.aws.endpointUrl';
/** The port the editor's local endpoint listens on; 0 picks a free one. */
export const ENDPOINT_PORT_SETTING = 'iotAuthz.endpoint.port';
export const ENDPOINT_CONCURRENCY_SETTING = 'iotAuthz.endpoint.concurrency';
export const AWS_ENDPOINT_URL_OPTION = '--endpoint-url';
/** SDK attempts per call (first try included) before throttling or a 5xx is reported. */
export const AWS_MAX_ATTEMPTS = 5;
/** How long deploy waits for a function to become Active / its update Successful. */
export const LAMBDA_WAIT_SECONDS = 300;
/** ListAuthorizers page size. */
export const AUTHORIZERS_PAGE_SIZE = 50;
/** The zip entries' timestamp: fixed, so the same sources give the same CodeSha256. */
export const DEPLOY_ZIP_MTIME = { year: 1980, month: 1, day: 1 } as const;
/** Function settings for a newly created authorizer Lambda. */
export const AUTHORIZER_FUNCTION_TIMEOUT_SECONDS = 5;
export const AUTHORIZER_FUNCTION_MEMORY_MB = 128;
/** Handler folders packaged as they are: at most this many files, skipping these folders. */
export const PACKAGE_MAX_FILES = 500;
export const PACKAGE_SKIP_DIRS = ['node_modules', '__pycache__', '.git', '.iot-authz', '.vscode', 'events', 'test', 'tests'] as const;
