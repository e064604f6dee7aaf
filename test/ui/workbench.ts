// Page object for the VS Code workbench in code-server: open it with the extension under
// development, run palette commands, open our view, read the panel and webviews.
import { Browser, FrameLocator, Page } from 'playwright-core';
import {
  CodeServer, launchBrowser, REPO_ROOT, screenshot, startCodeServer, stopCodeServer, StartOptions, workbenchUrl,
} from '../harness/codeServer';

export interface OpenWorkbench {
  readonly server: CodeServer;
  readonly browser: Browser;
  readonly page: Page;
  close(): Promise<void>;
}

/** The last errors each page's console printed (and uncaught page errors), for failure messages. */
const consoleLines = new WeakMap<Page, string[]>();

export async function openWorkbench(opts: StartOptions & { extensionDevelopmentPath?: string | null }): Promise<OpenWorkbench> {
  const server = await startCodeServer(opts);
  const browser = await launchBrowser(server.runDir);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const lines: string[] = [];
    consoleLines.set(page, lines);
    const keep = (line: string) => {
      lines.push(line.replace(/\s+/g, ' ').slice(0, 300));
      if (lines.length > 8) lines.shift();
    };
    page.on('console', (m) => {
      if (m.type() === 'error') keep(`error: ${m.text()}`);
    });
    page.on('pageerror', (e) => keep(`pageerror: ${e.message}`));
    const payload: Array<[string, string]> = [['skipWelcome', 'true']];
    if (opts.extensionDevelopmentPath !== null) payload.unshift(['extensionDevelopmentPath', opts.extensionDevelopmentPath ?? REPO_ROOT]);
    await page.goto(workbenchUrl(server, payload));
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 90000 });
    return {
      server, browser, page,
      async close() {
        await browser.close();
        await stopCodeServer(server);
      },
    };
  } catch (e) {
    await browser.close();
    await stopCodeServer(server);
    throw e;
  }
}

/** F1, type `>Category: Title`, wait for the row, Enter. */
export async function runCommand(page: Page, label: string): Promise<void> {
  await page.locator('.monaco-workbench .part.editor').click();
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${label}`);
  await acceptRow(page, label);
}

/** The element the keyboard is in, as `tag.class.names` ('none' when nothing has the focus). */
function keyboardFocus(page: Page): Promise<string> {
  return page.evaluate(() => {
    const a = document.activeElement;
    return a ? `${a.tagName.toLowerCase()}${a.className ? `.${String(a.className).split(' ').join('.')}` : ''}` : 'none';
  });
}

/**
 * Enter on the quick-input row holding `text`, once it is the focused one. Waiting for the row
 * to exist is not enough: in a fresh window the list fills and re-sorts while the palette
 * gathers commands, and an early Enter accepts whichever row is focused then.
 */
export async function acceptRow(page: Page, text: string, timeout = 30000): Promise<void> {
  try {
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: text }).waitFor({ timeout });
    // The keyboard must be in the quick input too: when VS Code hands the focus back to a webview
    // as a palette closes, the next quick pick loses it, and an Enter would reach the webview.
    await page.waitForFunction(() => !!document.activeElement?.closest('.quick-input-widget'), undefined, { timeout });
  } catch (e) {
    const rows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    const shot = await screenshot(page, `failed-accept-row-${text.replace(/[^\w.-]+/g, '_')}`);
    const focus = await keyboardFocus(page);
    throw new Error(`no focused quick-input row holds "${text}", or the keyboard is not in the quick input (rows: ${rows.map((r) => r.replace(/\s+/g, ' ')).join(' | ') || 'none'}; focus on ${focus}); screenshot ${shot}`, { cause: e });
  }
  await page.keyboard.press('Enter');
}

/** Opens our activity-bar container and returns the Authorizers view's pane body. */
export async function openAuthorizersView(page: Page) {
  const icon = page.locator('.activitybar .action-item a[aria-label^="IoT Authorizers"]');
  await icon.waitFor({ timeout: 60000 });
  const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Authorizers' }) });
  if (!(await pane.isVisible())) await icon.click();
  await pane.waitFor({ timeout: 30000 });
  return pane;
}

export function tree(page: Page) {
  return page.locator('.pane-body .monaco-list[aria-label*="Authorizers"], .pane-body .monaco-list').first();
}

/** The webview panel's content frame (webviews sit in two nested iframes). */
export function webviewFrame(page: Page, title?: string): FrameLocator {
  const outer = title ? page.locator(`iframe.webview[title="${title}"]`) : page.locator('iframe.webview');
  return page.frameLocator(`${outer.first() ? 'iframe.webview' : ''}`).frameLocator('#active-frame');
}

/**
 * What the workbench shows besides the part a wait was on: the status bar, notifications, whether
 * the panel is open, where the keyboard is, and the page's last console errors. A failure message
 * carries it, so a run whose screenshots are gone (CI) still says what the window was doing.
 */
export async function describeWorkbench(page: Page): Promise<string> {
  const text = async (selector: string) =>
    (await page.locator(selector).first().innerText({ timeout: 2000 }).catch(() => '')).replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 400);
  const panelOpen = await page.locator('.part.panel').isVisible().catch(() => false);
  const focus = await keyboardFocus(page).catch(() => 'unknown');
  const toasts = await text('.notifications-toasts');
  const logged = consoleLines.get(page) ?? [];
  return [
    `status bar: ${(await text('.part.statusbar')) || '(empty)'}`,
    `notifications: ${toasts || 'none'}`,
    `panel ${panelOpen ? 'open' : 'closed'}`,
    `focus on ${focus.slice(0, 120)}`,
    `console: ${logged.length ? logged.join(' || ') : 'no errors'}`,
  ].join('; ');
}

/**
 * Waits for `text` in the panel (the output channel shown there). On a timeout the error holds
 * what the panel did show (channel picker and text) and a screenshot, so a failure in CI says
 * whether the channel was not shown, was another channel, or had not updated yet.
 */
export async function waitForPanelText(page: Page, text: string, timeout = 60000): Promise<void> {
  const panel = page.locator('.part.panel');
  try {
    await panel.locator(`text=${text}`).first().waitFor({ timeout });
  } catch (e) {
    const shown = (await panel.innerText({ timeout: 5000 }).catch(() => '(no panel)')).replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').slice(0, 1500);
    const shot = await screenshot(page, `failed-panel-text-${text.replace(/[^\w.-]+/g, '_').slice(0, 40)}`);
    throw new Error(`the panel never showed "${text}"; it showed: ${shown || '(nothing)'}; ${await describeWorkbench(page)}; screenshot ${shot}`, { cause: e });
  }
}

/**
 * Waits for `text` in the status bar. On a timeout the error holds what the status bar did show
 * and a screenshot, so a failure in CI says whether the message never came or said something else.
 */
export async function waitForStatusText(page: Page, text: string, timeout = 30000): Promise<void> {
  const bar = page.locator('.part.statusbar');
  try {
    await page.locator('.part.statusbar', { hasText: text }).waitFor({ timeout });
  } catch (e) {
    const shown = (await bar.innerText({ timeout: 5000 }).catch(() => '(no status bar)')).replace(/\s+/g, ' ').slice(0, 600);
    const shot = await screenshot(page, `failed-status-text-${text.replace(/[^\w.-]+/g, '_').slice(0, 40)}`);
    throw new Error(`the status bar never showed "${text}"; it showed: ${shown || '(nothing)'}; ${await describeWorkbench(page)}; screenshot ${shot}`, { cause: e });
  }
}
