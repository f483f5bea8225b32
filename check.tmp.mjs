import fs from 'node:fs'; import {parse} from 'yaml';
const ids = process.argv.slice(2);
for (const d of ids) {
  const b = parse(fs.readFileSync(`resources/blocks/${d}/block.yaml`,'utf8'));
  for (const lang of ['es','gl']) {
    const tr = b.i18n?.[lang] ?? {}; const miss=[];
    const need=(en,t,p)=>{ if (en && String(en).trim() && !(t && String(t).trim())) miss.push(p); };
    need(b.title,tr.title,'title'); need(b.description,tr.description,'description'); need(b.help,tr.help,'help'); need(b.requires?.reason,tr.reason,'reason');
    for (const k of ['inputs','outputs']) for (const p of b[k]||[]) { need(p.title,tr[k]?.[p.id]?.title,`${k}.${p.id}.title`); need(p.description,tr[k]?.[p.id]?.description,`${k}.${p.id}.description`); }
    for (const p of b.params||[]) { const t=tr.params?.[p.id]; need(p.title,t?.title,`params.${p.id}.title`); need(p.help,t?.help,`params.${p.id}.help`); for (const c of p.choices||[]) need(c.title,t?.choices?.[c.value],`params.${p.id}.choices.${c.value}`); }
    const extra=[]; for (const k of ['inputs','outputs','params']) for (const id of Object.keys(tr[k]||{})) if (!(b[k]||[]).some(p=>p.id===id)) extra.push(k+'.'+id);
    if (miss.length||extra.length) console.log(d, lang, 'MISSING', miss.join(','), 'EXTRA', extra.join(','));
    if ((tr.title||'').length>60) console.log(d, lang, 'title too long');
    if ((tr.description||'').length>200) console.log(d, lang, 'description too long', tr.description.length);
  }
}
console.log('checked', ids.length);
