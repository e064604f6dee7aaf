import * as path from 'path';
import { CliCommand, requireOption, optionValue, UsageError } from '../args';
import { PROJECT_FILE_NAME } from '../../core/constants';
import type { HandlerLanguage } from '../../core/project';
import { createAuthorizer, TEMPLATE_DESCRIPTIONS, TEMPLATE_KINDS, TEMPLATE_LANGUAGES, TemplateKind } from '../../core/templates';
import { isKeyDirIgnored } from '../../core/keyStore';
import { passphraseFromEnv } from './sign';

export const newCommand: CliCommand = {
  name: 'new',
  summary: `Create an authorizer from a template: handler, test events and its ${PROJECT_FILE_NAME} entry.`,
  usage: `iot-authz new --kind ${TEMPLATE_KINDS.join('|')} --language ${TEMPLATE_LANGUAGES.join('|')} --name NAME [--dir DIR] [--handler PATH] [--force]`,
  options: [
    { name: 'kind', value: 'KIND', description: `The design: ${TEMPLATE_KINDS.join(', ')}.` },
    { name: 'language', value: 'LANG', description: `The handler's language: ${TEMPLATE_LANGUAGES.join(', ')}.` },
    { name: 'name', value: 'NAME', description: 'The authorizer name, as in AWS (letters, digits, _ = , @ -).' },
    { name: 'dir', value: 'DIR', description: `The workspace folder holding ${PROJECT_FILE_NAME} (default: the current folder).` },
    { name: 'handler', value: 'PATH', description: 'The handler file, relative to DIR (default: authorizers/NAME/handler.py, index.ts or index.mjs).' },
    { name: 'signing-key', value: 'KEY', description: 'signed-token: the key store key that signs tokens (default: NAME; generated when missing).' },
    { name: 'passphrase-env', value: 'VAR', description: 'jwt-bearer: the passphrase of an existing encrypted issuer key, read from environment variable VAR.' },
    { name: 'force', description: 'Overwrite existing files and replace an authorizer of the same name (never keys).' },
  ],
  details: [
    'Templates:',
    ...TEMPLATE_KINDS.map((k) => `  ${k.padEnd(24)}${TEMPLATE_DESCRIPTIONS[k]}`),
    '',
    `Keys the template needs are generated into .iot-authz/keys/ when missing. Run the events with "iot-authz invoke --event FILE".`,
  ].join('\n'),
  async run(args, io) {
    const kind = requireOption(args, 'kind', newCommand);
    if (!TEMPLATE_KINDS.includes(kind as TemplateKind)) throw new UsageError(`--kind ${kind}: choose one of ${TEMPLATE_KINDS.join(', ')}.`);
    const language = requireOption(args, 'language', newCommand);
    if (!TEMPLATE_LANGUAGES.includes(language as HandlerLanguage)) throw new UsageError(`--language ${language}: choose one of ${TEMPLATE_LANGUAGES.join(', ')}.`);
    const name = requireOption(args, 'name', newCommand);
    const root = path.resolve(io.cwd, optionValue(args, 'dir') ?? '.');
    const created = await createAuthorizer(root, {
      kind: kind as TemplateKind,
      language: language as HandlerLanguage,
      name,
      handlerPath: optionValue(args, 'handler'),
      signingKey: optionValue(args, 'signing-key'),
      passphrase: passphraseFromEnv(args),
      overwrite: args.flags.has('force'),
    });
    const rel = (f: string) => path.relative(io.cwd, f) || '.';
    io.stdout(`Created authorizer "${name}" (${kind}, ${language}):\n`);
    for (const f of created.files) io.stdout(`  ${rel(f)}\n`);
    io.stdout(`  ${rel(created.projectFile)} (${created.projectCreated ? 'created' : 'entry added'})\n`);
    for (const k of created.generatedKeys) io.stdout(`Generated key "${k}" in ${rel(path.join(root, '.iot-authz', 'keys', k))}/\n`);
    if (created.generatedKeys.length > 0 && !(await isKeyDirIgnored(root))) {
      io.stderr(`warning: git does not ignore .iot-authz/keys/ in ${rel(root)}; add it to .gitignore before committing.\n`);
    }
    const firstEvent = created.scaffold.files.find((f) => f.role === 'event' && f.expect === 'allowed');
    if (firstEvent) io.stdout(`Try it: iot-authz invoke --event ${rel(path.join(root, firstEvent.path))}\n`);
    return 0;
  },
};
