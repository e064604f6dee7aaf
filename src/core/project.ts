// The authorizer project file, `iot-authorizer.json`: the one description of the workspace's
// authorizers that the extension, the CLI and the local endpoint all read. Errors point at
// the line, column and JSON path of the field at fault.
import { LAMBDA_RUNTIME_IDS } from './lambdaRuntimes';
import * as fs from 'fs';
import * as path from 'path';
import { findNodeAtLocation, Node as JsonNode } from 'jsonc-parser';
import { readEditedFile } from './jsonFile';
import { JsonIssue, ParsedJsonText, parseJsonText } from './jsonText';
import {
  AUTHORIZER_NAME_MAX_LENGTH,
  AUTHORIZER_NAME_PATTERN,
  LAMBDA_ENV_NAME_PATTERN,
  LAMBDA_MAX_MEMORY_MB,
  LAMBDA_MIN_MEMORY_MB,
  LAMBDA_RESERVED_ENV,
  MAX_SIGNING_KEYS_PER_AUTHORIZER,
  PROJECT_FILE_NAME,
  SIGNING_KEY_NAME_PATTERN,
  TOKEN_KEY_NAME_MAX_LENGTH,
  TOKEN_KEY_NAME_PATTERN,
} from './constants';

export type HandlerLanguage = 'python' | 'javascript' | 'typescript';

export interface AwsDeploySettings {
  readonly functionName?: string;
  readonly roleArn?: string;
  readonly region?: string;
  readonly profile?: string;
}

export interface AuthorizerConfig {
  readonly name: string;
  /** As written, `path/to/file.ext:function`, relative to the project file. */
  readonly handler: string;
  /** Absolute path of the handler's file. */
  readonly handlerFile: string;
  readonly handlerFunction: string;
  readonly language: HandlerLanguage;
  readonly runtime: string;
  readonly tokenKeyName?: string;
  readonly signingDisabled: boolean;
  readonly signingKeys: readonly string[];
  readonly enableCachingForHttp: boolean;
  readonly status: 'ACTIVE' | 'INACTIVE';
  readonly aws: AwsDeploySettings;
  /** The function's own environment variables (Lambda's Environment.Variables). */
  readonly environment?: Readonly<Record<string, string>>;
  /** The function's memory size in MB (Lambda's MemorySize); default 128. */
  readonly memorySize?: number;
}

export interface AuthorizerProject {
  /** Absolute path of iot-authorizer.json. */
  readonly file: string;
  readonly dir: string;
  readonly authorizers: readonly AuthorizerConfig[];
  /** The authorizer used when a request names none (AWS's default authorizer). */
  readonly defaultAuthorizer?: string;
}

export type ProjectIssue = JsonIssue;

export interface ProjectParseResult {
  readonly project?: AuthorizerProject;
  readonly issues: readonly ProjectIssue[];
}

const RUNTIME_PATTERN = /^(python3\.\d+|nodejs\d+\.x)$/;
const KNOWN_AUTHORIZER_FIELDS = new Set([
  'name', 'handler', 'runtime', 'tokenKeyName', 'signingDisabled', 'signingKeys',
  'enableCachingForHttp', 'status', 'aws', 'description', 'environment', 'memorySize',
]);

function languageOf(file: string): HandlerLanguage | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.py') return 'python';
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') return 'javascript';
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return 'typescript';
  return undefined;
}

/** Parses and checks the project file's text. `file` is its absolute path. */
export function parseProject(text: string, file: string): ProjectParseResult {
  const { root, issues, report: at, errorCount } = parseJsonText(text);
  if (!root) return { issues };
  if (root.type !== 'object') {
    at(root, '', `${PROJECT_FILE_NAME} must hold a JSON object like {"authorizers": [ ... ]}.`);
    return { issues };
  }
  const list = findNodeAtLocation(root, ['authorizers']);
  if (!list || list.type !== 'array') {
    at(list ?? root, 'authorizers', 'Missing "authorizers": add an array with one object per authorizer (name, handler, runtime).');
    return { issues };
  }
  const dir = path.dirname(file);
  const authorizers: AuthorizerConfig[] = [];
  const names = new Set<string>();
  (list.children ?? []).forEach((node, i) => {
    const p = `authorizers[${i}]`;
    if (node.type !== 'object') {
      at(node, p, 'Each authorizer must be an object with "name", "handler" and "runtime".');
      return;
    }
    const field = (key: string) => findNodeAtLocation(node, [key]);
    const str = (key: string): string | undefined => {
      const n = field(key);
      if (n === undefined) return undefined;
      if (n.type !== 'string') {
        at(n, `${p}.${key}`, `"${key}" must be a string.`);
        return undefined;
      }
      return n.value as string;
    };
    const bool = (key: string, dflt: boolean): boolean => {
      const n = field(key);
      if (n === undefined) return dflt;
      if (n.type !== 'boolean') {
        at(n, `${p}.${key}`, `"${key}" must be true or false.`);
        return dflt;
      }
      return n.value as boolean;
    };
    for (const prop of node.children ?? []) {
      const key = prop.children?.[0]?.value as string;
      if (!KNOWN_AUTHORIZER_FIELDS.has(key)) {
        at(prop, `${p}.${key}`, `Unknown field "${key}"; known fields: ${[...KNOWN_AUTHORIZER_FIELDS].join(', ')}.`, 'warning');
      }
    }
    const before = errorCount();
    const name = str('name');
    if (name === undefined) at(field('name') ?? node, `${p}.name`, 'Missing "name": the authorizer name as in AWS, e.g. "MyCustomAuthorizer".');
    else if (!AUTHORIZER_NAME_PATTERN.test(name) || name.length > AUTHORIZER_NAME_MAX_LENGTH) {
      at(field('name'), `${p}.name`, `Authorizer name "${name}" is invalid: use 1-${AUTHORIZER_NAME_MAX_LENGTH} of letters, digits, _ = , @ -.`);
    } else if (names.has(name)) at(field('name'), `${p}.name`, `Duplicate authorizer name "${name}": names must be unique.`);
    else names.add(name);

    const handler = str('handler');
    let handlerFile = '';
    let handlerFunction = '';
    let language: HandlerLanguage | undefined;
    if (handler === undefined) at(field('handler') ?? node, `${p}.handler`, 'Missing "handler": "path/to/file:function", e.g. "authorizer.py:lambda_handler".');
    else {
      const colon = handler.lastIndexOf(':');
      if (colon <= 0 || colon === handler.length - 1) {
        at(field('handler'), `${p}.handler`, `"handler" must be "path/to/file:function" (got "${handler}"), e.g. "authorizer.py:lambda_handler" or "src/index.ts:handler".`);
      } else {
        handlerFile = path.resolve(dir, handler.slice(0, colon));
        handlerFunction = handler.slice(colon + 1);
        language = languageOf(handlerFile);
        if (!language) at(field('handler'), `${p}.handler`, `Handler file "${handler.slice(0, colon)}" must end in .py, .js, .mjs, .cjs or .ts.`);
      }
    }

    const runtime = str('runtime');
    if (runtime === undefined) at(field('runtime') ?? node, `${p}.runtime`, 'Missing "runtime": e.g. "python3.12" or "nodejs22.x".');
    else if (!RUNTIME_PATTERN.test(runtime)) at(field('runtime'), `${p}.runtime`, `Unknown runtime "${runtime}": use a Lambda runtime id such as "python3.12" or "nodejs22.x".`);
    else if (!LAMBDA_RUNTIME_IDS.includes(runtime)) {
      at(field('runtime'), `${p}.runtime`, `Lambda has no runtime "${runtime}": use one of ${LAMBDA_RUNTIME_IDS.join(', ')}.`);
    }
    else if (language && (language === 'python') !== runtime.startsWith('python')) {
      at(field('runtime'), `${p}.runtime`, `Runtime "${runtime}" does not match the handler's language (${language}).`);
    }

    const tokenKeyName = str('tokenKeyName');
    if (tokenKeyName !== undefined && (!TOKEN_KEY_NAME_PATTERN.test(tokenKeyName) || tokenKeyName.length > TOKEN_KEY_NAME_MAX_LENGTH)) {
      at(field('tokenKeyName'), `${p}.tokenKeyName`, `"tokenKeyName" must be 1-${TOKEN_KEY_NAME_MAX_LENGTH} of letters, digits, _ and -.`);
    }
    const signingDisabled = bool('signingDisabled', false);
    const enableCachingForHttp = bool('enableCachingForHttp', false);
    const signingKeys: string[] = [];
    const keysNode = field('signingKeys');
    if (keysNode !== undefined) {
      if (keysNode.type !== 'array') at(keysNode, `${p}.signingKeys`, '"signingKeys" must be an array of key names, e.g. ["default"].');
      else {
        (keysNode.children ?? []).forEach((k, j) => {
          if (k.type !== 'string' || !SIGNING_KEY_NAME_PATTERN.test(k.value as string)) {
            at(k, `${p}.signingKeys[${j}]`, 'A signing key name must be letters, digits, :, _ or -.');
          } else signingKeys.push(k.value as string);
        });
        if (signingKeys.length > MAX_SIGNING_KEYS_PER_AUTHORIZER) {
          at(keysNode, `${p}.signingKeys`, `AWS accepts at most ${MAX_SIGNING_KEYS_PER_AUTHORIZER} signing public keys per authorizer.`);
        }
      }
    }
    if (!signingDisabled && tokenKeyName === undefined && field('tokenKeyName') === undefined) {
      at(node, `${p}.tokenKeyName`, 'Signing is enabled, so "tokenKeyName" is required: the header or query parameter that carries the token.');
    }
    if (!signingDisabled && keysNode === undefined) {
      at(node, `${p}.signingKeys`, 'Signing is enabled but "signingKeys" is missing: name at least one key from .iot-authz/keys/, e.g. ["default"], or set "signingDisabled": true.');
    }
    const status = str('status') ?? 'ACTIVE';
    if (status !== 'ACTIVE' && status !== 'INACTIVE') at(field('status'), `${p}.status`, '"status" must be "ACTIVE" or "INACTIVE".');
    const awsNode = field('aws');
    const aws: Record<string, string> = {};
    if (awsNode !== undefined) {
      if (awsNode.type !== 'object') at(awsNode, `${p}.aws`, '"aws" must be an object: {"functionName", "roleArn", "region", "profile"}.');
      else {
        for (const key of ['functionName', 'roleArn', 'region', 'profile']) {
          const n = findNodeAtLocation(awsNode, [key]);
          if (n === undefined) continue;
          if (n.type !== 'string') at(n, `${p}.aws.${key}`, `"aws.${key}" must be a string.`);
          else aws[key] = n.value as string;
        }
      }
    }
    const environment = readFunctionEnvironment(field('environment'), `${p}.environment`, at);
    const memorySize = readMemorySize(field('memorySize'), `${p}.memorySize`, at);
    const failed = errorCount() > before;
    if (!failed && name && handler && runtime && language) {
      authorizers.push({
        name, handler, handlerFile, handlerFunction, language, runtime, tokenKeyName,
        signingDisabled, signingKeys, enableCachingForHttp,
        status: status as 'ACTIVE' | 'INACTIVE', aws,
        ...(environment ? { environment } : {}), ...(memorySize !== undefined ? { memorySize } : {}),
      });
    }
  });
  const defNode = findNodeAtLocation(root, ['defaultAuthorizer']);
  let defaultAuthorizer: string | undefined;
  if (defNode !== undefined) {
    if (defNode.type !== 'string' || !names.has(defNode.value as string)) {
      at(defNode, 'defaultAuthorizer', `"defaultAuthorizer" must name one of the authorizers (${[...names].join(', ') || 'none defined'}).`);
    } else defaultAuthorizer = defNode.value as string;
  } else if (authorizers.length === 1) defaultAuthorizer = authorizers[0].name;
  return { project: { file, dir, authorizers, defaultAuthorizer }, issues };
}

/** `"environment": {"NAME": "value"}`: the variables the deployed function is configured with. */
function readFunctionEnvironment(node: JsonNode | undefined, jsonPath: string, at: ParsedJsonText['report']): Record<string, string> | undefined {
  if (node === undefined) return undefined;
  if (node.type !== 'object') {
    at(node, jsonPath, '"environment" must be an object of variable names and string values, e.g. {"TABLE_NAME": "devices"}.');
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const prop of node.children ?? []) {
    const [keyNode, valueNode] = prop.children ?? [];
    const name = String(keyNode?.value);
    if (!LAMBDA_ENV_NAME_PATTERN.test(name)) at(keyNode, `${jsonPath}.${name}`, `"${name}" is not a name Lambda accepts: a letter, then letters, digits and _.`);
    else if (LAMBDA_RESERVED_ENV.includes(name)) at(keyNode, `${jsonPath}.${name}`, `${name} is set by Lambda itself; a function cannot configure it.`);
    else if (valueNode?.type !== 'string') at(valueNode ?? prop, `${jsonPath}.${name}`, `"${name}" must be a string: Lambda environment values are text.`);
    else env[name] = valueNode.value as string;
  }
  return env;
}

function readMemorySize(node: JsonNode | undefined, jsonPath: string, at: ParsedJsonText['report']): number | undefined {
  if (node === undefined) return undefined;
  const value = node.value as unknown;
  if (node.type !== 'number' || !Number.isInteger(value) || (value as number) < LAMBDA_MIN_MEMORY_MB || (value as number) > LAMBDA_MAX_MEMORY_MB) {
    at(node, jsonPath, `"memorySize" must be a whole number of MB from ${LAMBDA_MIN_MEMORY_MB} to ${LAMBDA_MAX_MEMORY_MB}, as Lambda's MemorySize.`);
    return undefined;
  }
  return value as number;
}

/** Reads and parses the project file at `file`. */
export function loadProject(file: string): ProjectParseResult {
  const read = readEditedFile(file);
  return 'text' in read ? parseProject(read.text, path.resolve(file)) : { issues: [read.issue] };
}

/** Finds iot-authorizer.json in `startDir` or the nearest folder above it. */
export function findProjectFile(startDir: string): string | undefined {
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, PROJECT_FILE_NAME);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The authorizer a request names, or the project's default when it names none. */
export function pickAuthorizer(project: AuthorizerProject, name?: string): AuthorizerConfig | undefined {
  const wanted = name ?? project.defaultAuthorizer;
  return project.authorizers.find((a) => a.name === wanted);
}
