// Regenerates resources/schema/pipeline-v1.schema.json from the zod schema (npm run build:schema).
// A unit test fails when the committed file is out of date.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { documentJsonSchema } from '../shared/document';

const out = path.join(process.cwd(), 'resources', 'schema', 'pipeline-v1.schema.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(documentJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
