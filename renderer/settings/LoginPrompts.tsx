import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { FluxoError, SshPrompt } from '../../shared/api';
import { DialogFrame } from '../components/DialogFrame';
import { answerPrompt, useSettingsStore } from './settingsStore';
import '../styles/targets.css';

type HostKeyPrompt = Extract<SshPrompt, { kind: 'hostKey' }>;
type SecretPrompt = Extract<SshPrompt, { kind: 'secret' }>;

/** The login questions of every cluster connection, one at a time, over whatever screen is shown. */
export function LoginPrompts() {
  const prompt = useSettingsStore((s) => s.prompt);
  const changed = useSettingsStore((s) => s.hostKeyChanged);
  return (
    <>
      {changed && <HostKeyChangedDialog error={changed} />}
      {prompt?.kind === 'hostKey' && <HostKeyDialog key={prompt.id} prompt={prompt} />}
      {prompt?.kind === 'secret' && <SecretDialog key={prompt.id} prompt={prompt} />}
    </>
  );
}

/** "[host]:port" as known_hosts writes it, for people who compare with ssh's own message. */
function hostLabel(host: string, port: number): string {
  return port === 22 ? host : `${host}:${port}`;
}

export function HostKeyDialog({ prompt }: { prompt: HostKeyPrompt }) {
  const { t } = useTranslation('targets');
  const leadId = useId();
  const refuse = () => void answerPrompt({ kind: 'hostKey', trust: false });
  return (
    <DialogFrame title={t('prompt.hostKeyTitle', { host: hostLabel(prompt.host, prompt.port) })} describedBy={leadId} onEscape={refuse} initialFocus="[data-default]" className="targets-prompt">
      <p id={leadId} className="dialog-message">
        {t('prompt.hostKeyLead')}
      </p>
      <dl className="targets-facts">
        <dt>{t('prompt.host')}</dt>
        <dd>{prompt.host}</dd>
        <dt>{t('prompt.port')}</dt>
        <dd>{prompt.port}</dd>
        <dt>{t('prompt.keyType')}</dt>
        <dd>{prompt.keyType}</dd>
        <dt>{t('prompt.fingerprint')}</dt>
        <dd>
          <code className="targets-fingerprint" data-testid="host-key-fingerprint">
            {prompt.fingerprint}
          </code>
        </dd>
      </dl>
      <p className="field-help">{t('prompt.hostKeyAfter')}</p>
      <div className="dialog-buttons">
        <button type="button" className="button" data-default onClick={refuse}>
          {t('prompt.cancel')}
        </button>
        <button type="button" className="button primary" onClick={() => void answerPrompt({ kind: 'hostKey', trust: true })}>
          {t('prompt.trust')}
        </button>
      </div>
    </DialogFrame>
  );
}

export function SecretDialog({ prompt }: { prompt: SecretPrompt }) {
  const { t } = useTranslation('targets');
  const [value, setValue] = useState('');
  const [remember, setRemember] = useState(false);
  const fieldId = useId();
  const leadId = useId();
  const rememberId = useId();
  const cancel = () => void answerPrompt({ kind: 'secret', value: null, remember: false });
  const title =
    prompt.secretKind === 'passphrase' ? t('prompt.passphraseTitle') : prompt.isPassword ? t('prompt.passwordTitle', { target: prompt.target }) : t('prompt.codeTitle', { target: prompt.target });
  // A server's "Password:" is labelled in the window's language; other questions keep the server's words.
  const label = prompt.secretKind === 'passphrase' ? t('prompt.passphrase') : prompt.isPassword ? t('prompt.password') : prompt.prompt.replace(/:\s*$/, '');
  const lead = prompt.secretKind === 'passphrase' ? t('prompt.passphraseLead', { target: prompt.target }) : prompt.secretKind === 'keyboard-interactive' && !prompt.isPassword ? t('prompt.codeLead') : null;
  return (
    <DialogFrame title={title} describedBy={lead || prompt.instructions ? leadId : undefined} onEscape={cancel} className="targets-prompt">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const typed = value;
          // The typed text leaves the component with the answer; nothing keeps it here.
          setValue('');
          void answerPrompt({ kind: 'secret', value: typed, remember: remember && prompt.canRemember });
        }}
      >
        {(lead || prompt.instructions) && (
          <div id={leadId}>
            {lead && <p className="dialog-message">{lead}</p>}
            {prompt.instructions && <p className="targets-instructions">{prompt.instructions}</p>}
          </div>
        )}
        <div className="field">
          <label htmlFor={fieldId}>{label}</label>
          <input
            id={fieldId}
            type={prompt.echo ? 'text' : 'password'}
            value={value}
            autoComplete={prompt.isPassword ? 'current-password' : 'one-time-code'}
            inputMode={prompt.isPassword ? undefined : 'numeric'}
            spellCheck={false}
            onChange={(e) => setValue(e.target.value)}
            data-testid="login-secret"
          />
        </div>
        {prompt.canRemember ? (
          <div className="field">
            <label className="checkbox-row" htmlFor={rememberId}>
              <input id={rememberId} type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
              {t('prompt.remember')}
            </label>
            <p className="field-help">{t('prompt.rememberHelp')}</p>
          </div>
        ) : prompt.isPassword ? (
          <p className="field-help">{t('prompt.cannotRemember')}</p>
        ) : null}
        <div className="dialog-buttons">
          <button type="button" className="button" onClick={cancel}>
            {t('prompt.cancel')}
          </button>
          <button type="submit" className="button primary">
            {t('prompt.login')}
          </button>
        </div>
      </form>
    </DialogFrame>
  );
}

/** Where the old key is, as the backend's message names it ("... in FILE line N."). */
export function oldKnownHostsLine(message: string): { file: string; line: number } | null {
  const m = /(?:old key is|is marked as revoked) in (.+?) line (\d+)/.exec(message);
  return m ? { file: m[1]!, line: Number(m[2]) } : null;
}

/** The ssh-keygen command in the backend's hint, when there is one. */
function removeCommand(hint: string | undefined): string | null {
  const m = /\((ssh-keygen -R [^)]+)\)/.exec(hint ?? '');
  return m ? m[1]! : null;
}

export function HostKeyChangedDialog({ error }: { error: FluxoError }) {
  const { t } = useTranslation('targets');
  const leadId = useId();
  const close = () => useSettingsStore.getState().warnHostKeyChanged(null);
  const where = oldKnownHostsLine(error.message);
  const command = removeCommand(error.hint);
  return (
    <DialogFrame title={t('hostKeyChanged.title')} role="alertdialog" describedBy={leadId} onEscape={close} className="targets-prompt targets-danger">
      <div id={leadId}>
        <p className="targets-warning" role="presentation">
          <span aria-hidden="true">⚠ </span>
          {t('hostKeyChanged.lead')}
        </p>
        {where && (
          <p className="dialog-message" data-testid="old-known-hosts-line">
            {t('hostKeyChanged.oldLine', { file: where.file, line: where.line })}
          </p>
        )}
      </div>
      <h3 className="targets-subheading">{t('hostKeyChanged.whatToDo')}</h3>
      <p className="dialog-message">{t('hostKeyChanged.steps')}</p>
      {command && <pre className="targets-command">{command}</pre>}
      <details className="targets-details">
        <summary>{t('hostKeyChanged.details')}</summary>
        <p className="dialog-detail">
          {error.code}: {error.message}
        </p>
      </details>
      <div className="dialog-buttons">
        <button type="button" className="button primary" onClick={close}>
          {t('hostKeyChanged.close')}
        </button>
      </div>
    </DialogFrame>
  );
}
