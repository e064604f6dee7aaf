// schemas/*.json are generated from core/jsonSchemas.ts (and so from constants.ts) by esbuild.js
// (`npm run build`; `node esbuild.js --check` in the static suite). This test fails when they drift too.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { projectFileSchema, SCHEMA_FILES, schemaText, testEventSchema } from '../../src/core/jsonSchemas';
import { parseProject } from '../../src/core/project';
import { CREDENTIAL_FIELDS, MQTT_FIELDS, MQTT_WILL_FIELDS, TEST_EVENT_FIELDS, findTestEventFiles, loadTestEvent } from '../../src/core/testEvent';

const ROOT = path.resolve(__dirname, '../../..');
const EXAMPLES = path.join(ROOT, 'examples/workspace');

type Schema = { properties: Record<string, Schema>; definitions: Record<string, Schema> };

function checkFile(relative: string, text: string): void {
  const file = path.join(ROOT, relative);
  const onDisk = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  assert.ok(onDisk === text, `${relative} is out of date with src/core/jsonSchemas.ts: run "npm run build" (node esbuild.js) and commit the result.`);
}

suite('JSON schemas', () => {
  test('schemas/*.json are what jsonSchemas.ts generates', () => {
    checkFile(SCHEMA_FILES.project, schemaText(projectFileSchema()));
    checkFile(SCHEMA_FILES.testEvent, schemaText(testEventSchema()));
  });

  test('the test event schema has exactly the fields the parser knows', () => {
    const schema = testEventSchema() as unknown as Schema;
    assert.deepStrictEqual(Object.keys(schema.properties).sort(), [...TEST_EVENT_FIELDS].sort());
    assert.deepStrictEqual(Object.keys(schema.properties.mqtt.properties).sort(), [...MQTT_FIELDS].sort());
    assert.deepStrictEqual(Object.keys(schema.properties.mqtt.properties.will.properties).sort(), [...MQTT_WILL_FIELDS].sort());
    assert.deepStrictEqual(Object.keys(schema.properties.credentials.properties).sort(), [...CREDENTIAL_FIELDS].sort());
  });

  test('the project schema has the fields the project parser accepts without warning', () => {
    const schema = projectFileSchema() as unknown as Schema;
    const fields = Object.keys(schema.definitions.authorizer.properties);
    const authorizer = Object.fromEntries(fields.map((f) => [f, f === 'aws' ? {} : f === 'signingKeys' ? ['k'] : f === 'signingDisabled' || f === 'enableCachingForHttp' ? false : f === 'status' ? 'ACTIVE' : f === 'handler' ? 'a.py:h' : f === 'runtime' ? 'python3.12' : 'Name1']));
    const { issues } = parseProject(JSON.stringify({ authorizers: [authorizer] }), path.join(ROOT, 'x/iot-authorizer.json'));
    assert.deepStrictEqual(issues.filter((i) => /Unknown field/.test(i.message)), []);
    assert.deepStrictEqual(Object.keys(schema.properties).sort(), ['$schema', 'authorizers', 'defaultAuthorizer']);
  });

  test('every example event parses without an issue', () => {
    const files = findTestEventFiles(EXAMPLES);
    assert.ok(files.length >= 3);
    for (const file of files) assert.deepStrictEqual(loadTestEvent(file).issues, [], file);
  });
});
