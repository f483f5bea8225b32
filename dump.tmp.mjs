import fs from 'node:fs'; import {parse} from 'yaml';
const ids = process.argv.slice(2);
for (const d of ids) {
  const b = parse(fs.readFileSync(`resources/blocks/${d}/block.yaml`,'utf8'));
  console.log(`=== ${d}\ntitle: ${b.title}\ndescription: ${b.description}\nhelp: |\n${(b.help||'').replace(/^/gm,'  ')}`);
  if (b.requires?.reason) console.log('reason: '+b.requires.reason);
  for (const k of ['inputs','outputs']) for (const p of b[k]||[]) console.log(`${k}.${p.id}: ${p.title} | ${p.description||''}`);
  for (const p of b.params||[]) { console.log(`params.${p.id}: ${p.title} | ${p.help||''}`); for (const c of p.choices||[]) console.log(`   choice ${c.value}: ${c.title}`); }
}
