import * as path from 'path';
import { CliCommand, optionValue } from '../args';
import { findProjectFile, loadProject } from '../../core/project';
import { PROJECT_FILE_NAME } from '../../core/constants';

export const projectCommand: CliCommand = {
  name: 'project',
  summary: `Check ${PROJECT_FILE_NAME} and list its authorizers.`,
  usage: 'iot-authz project [--project FILE] [--json]',
  options: [
    { name: 'project', value: 'FILE', description: `The project file (default: ${PROJECT_FILE_NAME} here or in a folder above).` },
    { name: 'json', description: 'Print the result as JSON.' },
  ],
  async run(args, io) {
    const given = optionValue(args, 'project');
    const file = given ? path.resolve(io.cwd, given) : findProjectFile(io.cwd);
    if (!file) {
      io.stderr(`No ${PROJECT_FILE_NAME} in ${io.cwd} or any folder above it. Create one, or pass --project FILE.\n`);
      return 2;
    }
    const { project, issues } = loadProject(file);
    const errors = issues.filter((i) => i.severity === 'error');
    if (args.flags.has('json')) {
      io.stdout(JSON.stringify({ file, authorizers: project?.authorizers ?? [], defaultAuthorizer: project?.defaultAuthorizer, issues }, null, 2) + '\n');
    } else {
      for (const i of issues) io.stderr(`${file}:${i.line}:${i.column}: ${i.severity}: ${i.jsonPath ? i.jsonPath + ': ' : ''}${i.message}\n`);
      for (const a of project?.authorizers ?? []) {
        const def = a.name === project?.defaultAuthorizer ? ' (default)' : '';
        io.stdout(`${a.name}${def}  ${a.runtime}  ${a.handler}  signing ${a.signingDisabled ? 'disabled' : `keys: ${a.signingKeys.join(', ')}`}\n`);
      }
    }
    return errors.length > 0 ? 2 : 0;
  },
};
