import * as assert from 'assert';
import { findHandlerLine } from '../../src/vscode/handlerLocation';

suite('handler location (CodeLens line)', () => {
  const cases: Array<[string, string, string, number]> = [
    ['a.py', 'lambda_handler', 'import os\n\ndef helper():\n  pass\n\ndef lambda_handler(event, context):\n  return {}\n', 5],
    ['a.py', 'handler', 'async def handler(event, context):\n  pass\n', 0],
    ['a.py', 'handler', '# def handler( in a comment at column 2 is not a definition\nx = 1\n  def handler(e, c):\n', 2],
    ['a.js', 'handler', "'use strict';\n\nexports.handler = async (event) => {};\n", 2],
    ['a.js', 'handler', '\nmodule.exports.handler = function (event, context, cb) {};\n', 1],
    ['a.mjs', 'handler', 'import x from "y";\nexport async function handler(event) {}\n', 1],
    ['a.ts', 'handler', 'import type { X } from "y";\n\nexport const handler = async (event: X) => ({});\n', 2],
    ['a.js', 'authorize', 'function helper() {}\nasync function authorize(event) {}\nmodule.exports = { authorize };\n', 1],
    ['a.js', 'handler', 'const x = 1;\nmodule.exports = { handler: impl };\n', 1],
    ['a.js', 'handlers.auth', 'exports.handlers = {};\nexports.handlers.auth = async () => ({});\n', 1],
    ['a.js', 'missing', 'exports.handler = () => ({});\n', 0],
    ['a.js', 'h$', 'exports.h$ = () => 1;\nexports.h = 2;\n', 0],
  ];
  for (const [file, fn, text, line] of cases) {
    test(`${file} ${fn} → line ${line}: ${JSON.stringify(text.split('\n')[line] ?? '')}`, () => {
      assert.strictEqual(findHandlerLine(text, fn, file), line);
    });
  }
});
