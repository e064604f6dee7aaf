// `iot-authz`: the toolkit's core for terminals and CI. Each subcommand lives in
// ./commands and is listed in CLI_COMMANDS; exit codes in EXIT_CODES.
import { CLI_COMMANDS } from './commands';
import { CliIO, helpText, parseArgs, UsageError } from './args';
import { UserError } from '../core/errors';
import { redactSecrets } from '../core/redact';
import { STDIN_MAX_BYTES } from '../core/constants';
import { readBoundedStream } from './stdin';

declare const __VERSION__: string | undefined;

function version(): string {
  // Replaced at build time when defined; otherwise read from package.json next to dist/.
  if (typeof __VERSION__ === 'string') return __VERSION__;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** What `iot-authz` exits with; README's CLI table and --help list them. */
export const EXIT_CODES = {
  ok: 0,
  /** A negative result: an invalid signature, an answer AWS rejects. */
  negative: 1,
  /** Bad input: an unknown command or option, a file that does not parse, a key that does not load. */
  badInput: 2,
  /** A bug in iot-authz: the stack is printed; please report it. */
  internalError: 3,
} as const;

function mainHelp(): string {
  const width = Math.max(...CLI_COMMANDS.map((c) => c.name.length)) + 4;
  return [
    'iot-authz: write, test and ship AWS IoT Core custom authorizers.',
    '',
    'Usage: iot-authz <command> [options]',
    '',
    'Commands:',
    ...CLI_COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run "iot-authz <command> --help" for a command\'s options. "iot-authz --version" prints the version.',
    '',
    `Exit codes: ${EXIT_CODES.ok} ok, ${EXIT_CODES.negative} negative result (invalid signature, an answer AWS rejects), ${EXIT_CODES.badInput} bad input, ${EXIT_CODES.internalError} internal error.`,
    '',
  ].join('\n');
}

export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${version()}\n`);
    return 0;
  }
  const command = CLI_COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`iot-authz: unknown command "${name}". Commands: ${CLI_COMMANDS.map((c) => c.name).join(', ')}.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(helpText(command));
    return 0;
  }
  try {
    return await command.run(parseArgs(rest, command), io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof UserError) {
      io.stderr(`iot-authz ${command.name}: ${redactSecrets(e.message)}\n`);
      return 2;
    }
    io.stderr(`iot-authz ${command.name}: internal error: ${redactSecrets(e instanceof Error ? e.stack ?? e.message : String(e))}\n`);
    return EXIT_CODES.internalError;
  }
}

function prompt(question: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const readline = require('readline') as typeof import('readline');
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => rl.question(question, (answer) => {
    rl.close();
    resolve(answer);
  }));
}

function readStdin(): Promise<string> {
  return readBoundedStream(process.stdin, STDIN_MAX_BYTES);
}

if (require.main === module) {
  runCli(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    readStdin,
    cwd: process.cwd(),
    interactive: process.stdin.isTTY === true,
    prompt,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`iot-authz: internal error: ${String(e)}\n`);
      process.exitCode = EXIT_CODES.internalError;
    },
  );
}
