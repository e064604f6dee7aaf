// iot-authz exit codes: bad input (2) and an internal error (3) are told apart.
import * as assert from 'assert';
import { EXIT_CODES, runCli } from '../../src/cli/main';
import { REPO_ROOT } from './keyFixtures';

suite('cli: exit codes', () => {
  test('an unknown option is bad input (2); a bug inside a command is an internal error (3) with its stack', async () => {
    let stderr = '';
    const io = { stdout: () => undefined, stderr: (t: string) => (stderr += t), readStdin: () => Promise.resolve(''), cwd: REPO_ROOT };
    assert.strictEqual(await runCli(['keygen', '--no-such-option'], io), EXIT_CODES.badInput);
    stderr = '';
    // A stdout that fails is not something the user typed wrong.
    const broken = { ...io, stdout: () => { throw new TypeError('stdout exploded'); } };
    assert.strictEqual(await runCli(['project', '--project', 'examples/workspace/iot-authorizer.json'], broken), EXIT_CODES.internalError);
    assert.match(stderr, /internal error: TypeError: stdout exploded\n\s+at /);
    assert.strictEqual(EXIT_CODES.internalError, 3);
  });

  test('--help lists the exit codes', async () => {
    let stdout = '';
    await runCli(['--help'], { stdout: (t) => (stdout += t), stderr: () => undefined, readStdin: () => Promise.resolve(''), cwd: REPO_ROOT });
    assert.match(stdout, /Exit codes: 0 ok, 1 negative result .*, 2 bad input, 3 internal error\./);
  });
});
