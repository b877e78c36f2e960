import { Command } from 'commander';
import type { CommanderError } from 'commander';
import { usageError } from './exit-codes.js';
import type { CommandSpec, Parsed } from './options.js';
import { GLOBAL_FLAGS } from './options.js';
import type { Io } from './output.js';

/** A failure while parsing or running a command, with the command it happened in. */
export class InCommand extends Error {
  override readonly name = 'InCommand';

  constructor(
    readonly command: Command,
    override readonly cause: unknown,
  ) {
    super('in command', { cause });
  }
}

const EXIT_CODES = `Exit codes: 0 ok, 1 refused by the server, 2 bad usage, 69 server unreachable,
75 lock not acquired, 76 lock lost (command stopped), 127 command not found.`;

/**
 * The `leasehold` command line on commander: global flags anywhere on the line, `--version`,
 * `--help` for each command. `done` receives the outcome of the command that was chosen.
 */
export function buildProgram(
  argv: readonly string[],
  specs: readonly CommandSpec[],
  io: Io,
  version: string,
  done: (outcome: Promise<number>) => void,
): Command {
  const program = new Command('leasehold')
    .usage('COMMAND [options]')
    .description('Lease-based distributed locks: run commands under a lock, inspect and manage leases.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'help for the command')
    .configureHelp({ showGlobalOptions: true, subcommandTerm: (command) => command.name() })
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: () => undefined, // main reports errors itself, in its own words
    })
    .addHelpText('after', `\n${EXIT_CODES}\nSee "leasehold COMMAND --help" for a command's flags.`)
    .allowExcessArguments()
    .action(() => {
      const [word] = program.args;
      throw new InCommand(
        program,
        usageError(word === undefined ? 'missing COMMAND' : `unknown command "${word}"`),
      );
    });
  exitThrough(program);
  for (const flag of GLOBAL_FLAGS) program.option(flag.flags, flag.description);

  for (const spec of specs) {
    const command = program
      .command(spec.name)
      .usage(spec.usage)
      .summary(spec.summary)
      .description(spec.summary)
      .argument('[args...]')
      .helpOption('-h, --help', 'help for the command')
      .action((operands: string[], _options: unknown, self: Command) => {
        done(
          spec.run(parsedOf(self, operands, spec, argv), io).catch((error: unknown) => {
            throw new InCommand(self, error);
          }),
        );
      });
    if (spec.rawArgs) command.allowUnknownOption().helpOption(false);
    for (const alias of spec.aliases ?? []) command.alias(alias);
    for (const flag of spec.flags ?? []) command.option(flag.flags, flag.description);
    if (spec.details) command.addHelpText('after', `\n${spec.details.trimEnd()}`);
    exitThrough(command);
  }
  return program;
}

/** Commander's exits become thrown errors that know their command. */
function exitThrough(command: Command): void {
  command.exitOverride((error: CommanderError) => {
    throw new InCommand(command, error);
  });
}

/** The flags by long name, and the arguments before and after `--`. */
function parsedOf(self: Command, operands: string[], spec: CommandSpec, argv: readonly string[]): Parsed {
  const values: Record<string, string | boolean | undefined> = {};
  const options = self.optsWithGlobals<Record<string, string | boolean | undefined>>();
  for (const command of [self, self.parent]) {
    for (const option of command?.options ?? []) {
      if (option.long) values[option.long.slice(2)] = options[option.attributeName()];
    }
  }
  if (spec.rawArgs) {
    return { values, positionals: [], command: argv.slice(argv.indexOf(spec.name) + 1) };
  }
  // Commander hands over the words after `--` as the last operands.
  const dashes = argv.indexOf('--');
  const after = spec.runsCommand && dashes >= 0 ? argv.length - dashes - 1 : 0;
  return {
    values,
    positionals: operands.slice(0, operands.length - after),
    command: operands.slice(operands.length - after),
  };
}

/** `Usage: leasehold lock NAME ...` and where the full help is: what an error prints. */
export function shortUsage(command: Command): string {
  const path = command.parent ? `leasehold ${command.name()}` : 'leasehold';
  return `Usage: ${path} ${command.usage()}\nSee "${path} --help".\n`;
}
