// A small, strict argument parser: unknown options and missing values are errors that name
// the option and point at `--help`, so scripts fail loudly instead of doing the wrong thing.
import { UserError } from '../core/errors';

export interface OptionSpec {
  readonly name: string;
  /** Takes a value (`--out DIR`) or is a flag (`--force`). */
  readonly value?: string;
  readonly description: string;
  readonly repeatable?: boolean;
}

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: readonly OptionSpec[];
  readonly details?: string;
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}

export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads all of standard input (for `-` values). */
  readonly readStdin: () => Promise<string>;
  readonly cwd: string;
  /** True when standard input is a terminal a question can be asked on. */
  readonly interactive?: boolean;
  /** Asks a question on the terminal and returns the answer line. */
  readonly prompt?: (question: string) => Promise<string>;
}

export interface ParsedArgs {
  readonly options: Map<string, string[]>;
  readonly flags: Set<string>;
  readonly positional: string[];
}

export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 'USAGE');
  }
}

export function parseArgs(argv: readonly string[], command: CliCommand): ParsedArgs {
  const specs = new Map(command.options.map((o) => [o.name, o]));
  const options = new Map<string, string[]>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq > 0 ? eq : undefined);
    const spec = specs.get(name);
    if (!spec) throw new UsageError(`unknown option --${name} for "${command.name}". See: iot-authz ${command.name} --help`);
    if (!spec.value) {
      if (eq > 0) throw new UsageError(`--${name} takes no value. See: iot-authz ${command.name} --help`);
      flags.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new UsageError(`--${name} needs a value (${spec.value}). See: iot-authz ${command.name} --help`);
    const list = options.get(name) ?? [];
    if (list.length > 0 && !spec.repeatable) throw new UsageError(`--${name} given twice; give it once.`);
    list.push(value);
    options.set(name, list);
  }
  return { options, flags, positional };
}

export function optionValue(args: ParsedArgs, name: string): string | undefined {
  return args.options.get(name)?.[0];
}

export function requireOption(args: ParsedArgs, name: string, command: CliCommand): string {
  const v = optionValue(args, name);
  if (v === undefined) throw new UsageError(`missing --${name}. Usage: ${command.usage}`);
  return v;
}

export function helpText(command: CliCommand): string {
  const width = Math.max(...command.options.map((o) => o.name.length + (o.value ? o.value.length + 1 : 0)), 4) + 4;
  const lines = [`${command.summary}`, '', `Usage: ${command.usage}`, '', 'Options:'];
  for (const o of [...command.options, { name: 'help', description: 'Show this help.' } as OptionSpec]) {
    const left = `--${o.name}${o.value ? ' ' + o.value : ''}`;
    lines.push(`  ${left.padEnd(width)}${o.description}`);
  }
  if (command.details) lines.push('', command.details);
  return lines.join('\n') + '\n';
}
