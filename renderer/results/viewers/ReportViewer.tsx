import { useTranslation } from 'react-i18next';
import type { OutputFile } from '../../../shared/api';
import { decodeBase64Text } from '../metrics';
import { useRunFile } from '../useRunData';

/** An HTML report, shown and never run: sandbox="" allows no scripts, forms, popups or navigation. */
export default function ReportViewer({ runId, output }: { runId: string; output: OutputFile }) {
  const { t } = useTranslation('results');
  const loaded = useRunFile(runId, output.path);
  if (!loaded || loaded.state === 'loading') return <p className="muted" aria-busy="true">{t('loading', { what: t('report.what') })}</p>;
  if (loaded.state === 'error') return <p className="field-error">{t('couldNotShow', { what: t('report.what'), message: loaded.message })}</p>;
  // The title stays "Report" in every language: it names the frame, and tests find it by it.
  // The CSP meta goes first so even a report that forgets it cannot load anything from outside.
  return <iframe className="report-frame" sandbox="" srcDoc={withCsp(decodeBase64Text(loaded.file.base64))} title="Report" />;
}

const CSP = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:">`;

/** Puts a strict CSP first in <head> (after the doctype, so the page keeps standards mode). */
export function withCsp(html: string): string {
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (head) return html.slice(0, head.index + head[0].length) + CSP + html.slice(head.index + head[0].length);
  const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
  return doctype ? doctype[0] + CSP + html.slice(doctype[0].length) : CSP + html;
}
