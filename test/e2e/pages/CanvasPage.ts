import type { Locator, Page } from '@playwright/test';
import { expect } from '@playwright/test';
import { EditorPage } from './EditorPage';

/** The canvas's own controls: undo/redo, tidy up, notes, shortcuts and the keyboard "Connect to…". */
export class CanvasPage extends EditorPage {
  readonly undoButton: Locator;
  readonly redoButton: Locator;
  readonly tidyButton: Locator;
  readonly addNoteButton: Locator;
  readonly shortcutsButton: Locator;

  constructor(page: Page) {
    super(page);
    this.undoButton = page.getByRole('button', { name: 'Undo', exact: true });
    this.redoButton = page.getByRole('button', { name: 'Redo', exact: true });
    this.tidyButton = page.getByRole('button', { name: 'Tidy up', exact: true });
    this.addNoteButton = page.getByRole('button', { name: 'Add note', exact: true });
    this.shortcutsButton = page.getByRole('button', { name: 'Keyboard shortcuts', exact: true });
  }

  note(id: string): Locator {
    return this.page.getByTestId(`note-${id}`);
  }

  /** A node's place on the canvas (flow coordinates), read from React Flow's transform. */
  async position(testId: string): Promise<{ x: number; y: number }> {
    const transform = await this.page.getByTestId(testId).evaluate((el) => (el as HTMLElement).style.transform);
    const m = /translate\((-?[\d.]+)px,\s*(-?[\d.]+)px\)/.exec(transform);
    if (!m) throw new Error(`no position in "${transform}"`);
    return { x: Number(m[1]), y: Number(m[2]) };
  }

  /** Drags a step by its header with the mouse, in several moves like a person would. */
  async dragStep(id: string, dx: number, dy: number): Promise<void> {
    const header = this.step(id).locator('.step-node-header');
    const box = await header.boundingBox();
    if (!box) throw new Error(`step ${id} is not on screen`);
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(x, y);
    await this.page.mouse.down();
    for (let i = 1; i <= 8; i++) await this.page.mouse.move(x + (dx * i) / 8, y + (dy * i) / 8);
    await this.page.mouse.up();
  }

  /** Keyboard only: focus a port, Enter opens "Connect to…", Enter on the chosen port connects. */
  async connectByKeyboard(from: [string, 'in' | 'out', string], choice: RegExp | string): Promise<Locator> {
    await this.handle(from[0], from[1], from[2]).focus();
    await this.page.keyboard.press('Enter');
    const menu = this.page.getByRole('dialog', { name: /^Connect .* (to|from)…$/ });
    await expect(menu).toBeVisible();
    const option = menu.getByRole('button', { name: choice });
    await expect(option).toBeVisible();
    return option;
  }
}
