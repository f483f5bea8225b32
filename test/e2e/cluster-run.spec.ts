/**
 * The cluster journey, over the lab's real sshd (password + TOTP on :2223) and Slurm:
 * add a profile, accept the host key on first contact, type the password and the one-time code,
 * run, watch live states, read the results; then a changed host key is refused with its warning.
 * Skips with the reason when the lab is not up (test/cluster/README.md), fails under FLUXO_LAB=required.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TOTP } from 'otpauth';
import { labRequired, openLab } from '../cluster/lab';
import { expect, snap, test } from './fixtures';
import { EditorPage } from './pages/EditorPage';
import { SettingsPage } from './pages/SettingsPage';
import { StartPage } from './pages/StartPage';

const gate = openLab();
if (!gate.lab) {
  if (labRequired()) throw new Error(`FLUXO_LAB=required but ${gate.reason}`);
  console.log(`[e2e] skipping cluster-run.spec.ts: ${gate.reason}`);
}

/** Every file under a folder, for checking that a secret was written nowhere. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** An ed25519 public key blob that is not the lab's: what an impostor server would show. */
function otherEd25519Key(): string {
  const type = Buffer.from('ssh-ed25519');
  const key = randomBytes(32);
  const len = (b: Buffer) => Buffer.from([0, 0, 0, b.length]);
  return Buffer.concat([len(type), type, len(key), key]).toString('base64');
}

test.describe('a run on the lab cluster over SSH', () => {
  test.skip(!gate.lab, gate.reason ?? '');
  let home = '';
  test.afterAll(() => {
    for (const id of ['lab-otp', 'lab-pw']) if (home) rmSync(path.join(home, 'targets', `${id}.yaml`), { force: true });
  });

  test('add a profile, trust the host key, type password and code, run, read the results; a changed key is refused', async ({ fluxo }, testInfo) => {
    test.setTimeout(420_000);
    const lab = gate.lab!;
    const { page } = fluxo;
    home = fluxo.home;
    const knownHosts = path.join(home, 'known_hosts');
    const password = lab.env.LAB_OTP_PASSWORD!;
    const settings = new SettingsPage(page);

    // 1. A profile of one's own, like the shipped lab, logging in with password + code on :2223.
    await new StartPage(page).expectShown();
    await settings.open();
    const add = await settings.startAdding('Test cluster (loopback)');
    await settings.fill(add, { 'Name shown in Fluxo': 'Lab with two-factor login', 'Short name': 'lab-otp', Port: lab.env.LAB_SSH_PW_PORT!, 'User name': lab.env.LAB_OTP_USER! });
    await settings.loginMethods(add, ['Password and code prompts (two-factor)', 'Password']);
    await snap(page, testInfo, 'cluster-add-profile');
    await settings.save(add);
    await expect(settings.row('lab-otp')).toContainText(`127.0.0.1:${lab.env.LAB_SSH_PW_PORT}`);
    await settings.back();

    // 2. The example, run on it.
    const start = new StartPage(page);
    await start.openExample('Breast cancer classifier');
    const editor = new EditorPage(page);
    await editor.expectShown();
    await page.getByLabel('Run on').selectOption('lab-otp');
    // A seed no earlier run used, so the steps really run as jobs instead of coming from the cache.
    await editor.selectStep('split');
    await editor.field('Random seed').fill(String(1000 + Math.floor(Math.random() * 1_000_000)));
    await editor.run();

    // 3. First contact: host, key type and the SHA256 fingerprint the lab published; Cancel has focus.
    const hostKey = page.getByRole('dialog', { name: `First connection to 127.0.0.1:${lab.env.LAB_SSH_PW_PORT}` });
    await expect(hostKey).toBeVisible({ timeout: 60_000 });
    const fingerprint = (await hostKey.getByTestId('host-key-fingerprint').textContent()) ?? '';
    const published = [lab.env.LAB_HOSTKEY_SHA256_ED25519, lab.env.LAB_HOSTKEY_SHA256_ECDSA, lab.env.LAB_HOSTKEY_SHA256_RSA];
    expect(published).toContain(fingerprint);
    await expect(hostKey.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await snap(page, testInfo, 'cluster-host-key');
    await hostKey.getByRole('button', { name: 'Trust and connect' }).click();

    // 4. The password, masked; no "Remember" in a browser window.
    const account = `${lab.env.LAB_OTP_USER}@127.0.0.1:${lab.env.LAB_SSH_PW_PORT}`;
    const login = page.getByRole('dialog', { name: `Password for ${account}` });
    await expect(login.getByLabel('Password', { exact: true })).toBeVisible();
    await expect(login.getByLabel('Password', { exact: true })).toHaveAttribute('type', 'password');
    await expect(login.getByRole('checkbox')).toHaveCount(0);
    await login.getByLabel('Password', { exact: true }).fill(password);
    await snap(page, testInfo, 'cluster-password');
    await login.getByRole('button', { name: 'Log in' }).click();

    // 5. The one-time code, in the server's own words.
    const codeDialog = page.getByRole('dialog', { name: `Login to ${account}` });
    const code = codeDialog.getByLabel('Verification code');
    await expect(code).toBeVisible();
    await expect(code).toHaveAttribute('type', 'password');
    await snap(page, testInfo, 'cluster-code');
    await code.fill(new TOTP({ secret: lab.env.LAB_OTP_SECRET! }).generate());
    await codeDialog.getByRole('button', { name: 'Log in' }).click();
    await expect(codeDialog).toBeHidden();
    expect(readFileSync(knownHosts, 'utf8')).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${lab.env.LAB_SSH_PW_PORT} `, 'm'));

    // 6. Live states while Slurm runs the jobs, then the results.
    await expect.poll(async () => (await page.locator('[data-testid^="step-"]').allTextContents()).join(' '), { timeout: 120_000 }).toMatch(/Running|Waiting|Queued/);
    await snap(page, testInfo, 'cluster-running');
    await editor.waitForRun('completed', 300_000);
    for (const id of ['dataset', 'split', 'train', 'evaluate', 'report']) await expect(editor.step(id).getByText('Completed', { exact: true })).toBeVisible();
    await expect(editor.results).toBeVisible();
    const auc = Number.parseFloat((await editor.metricValue('ROC AUC').textContent()) ?? '');
    expect(auc).toBeGreaterThan(0.9);
    await snap(page, testInfo, 'cluster-results');

    // The password was written nowhere in the Fluxo home (runs, settings, profiles, known_hosts).
    for (const file of filesUnder(home)) expect(readFileSync(file).includes(Buffer.from(password)), file).toBe(false);

    // 7. The server's key "changes": the line for the login node now holds another key.
    const lines = readFileSync(knownHosts, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith(`[127.0.0.1]:${lab.env.LAB_SSH_PW_PORT} `));
    const [name, type] = lines[at]!.split(' ');
    lines[at] = `${name} ${type} ${otherEd25519Key()}`;
    writeFileSync(knownHosts, lines.join('\n'));

    // A second profile (another user, so a new connection) is tested: refused, with the warning.
    await page.getByRole('toolbar', { name: 'Pipeline' }).getByRole('button', { name: 'Clusters and connections' }).click();
    await expect(settings.heading).toBeVisible();
    const second = await settings.startAdding('Test cluster (loopback)');
    await settings.fill(second, { 'Name shown in Fluxo': 'Lab with a password', 'Short name': 'lab-pw', Port: lab.env.LAB_SSH_PW_PORT!, 'User name': lab.env.LAB_USER! });
    await settings.loginMethods(second, ['Password']);
    await settings.save(second);
    await settings.row('lab-pw').getByRole('button', { name: 'Test connection to Lab with a password' }).click();
    const warning = page.getByRole('alertdialog', { name: "Warning: the cluster's host key has changed" });
    await expect(warning).toBeVisible({ timeout: 60_000 });
    await expect(warning.getByTestId('old-known-hosts-line')).toHaveText(`The old key is in ${knownHosts}, line ${at + 1}.`);
    await expect(warning).toContainText('ssh-keygen -R');
    await expect(page.getByRole('dialog', { name: /^First connection/ })).toHaveCount(0);
    await snap(page, testInfo, 'cluster-host-key-changed');
    await warning.getByRole('button', { name: 'Close' }).click();
    const report = page.getByRole('dialog', { name: 'Connection test: Lab with a password' });
    await expect(report.locator('[data-step-id="hostKey"]')).toHaveAttribute('data-status', 'failed');
    await expect(report).toContainText('Error E500');
    await snap(page, testInfo, 'cluster-test-refused');
    await report.getByRole('button', { name: 'Close' }).click();
    await expect(settings.row('lab-pw')).toContainText('Test failed');
  });
});
