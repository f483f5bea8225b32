// Regenerates the JSON Schemas in resources/schema/ from the zod schemas (npm run build:schema):
// the current .fluxo document version and target profiles. pipeline-v1.schema.json is frozen: it
// describes files written by Fluxo versions that wrote document version 1.
// A unit test fails when a committed file is out of date.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DOCUMENT_VERSION, documentJsonSchema } from '../shared/document';
import { targetProfileJsonSchema } from '../shared/targets';

const dir = path.join(process.cwd(), 'resources', 'schema');
mkdirSync(dir, { recursive: true });
for (const [name, schema] of [
  [`pipeline-v${DOCUMENT_VERSION}.schema.json`, documentJsonSchema()],
  ['target-profile.schema.json', targetProfileJsonSchema()],
] as const) {
  writeFileSync(path.join(dir, name), `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`wrote resources/schema/${name}\n`);
}
