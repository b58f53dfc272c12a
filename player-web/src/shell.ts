import type { SaveState } from './commit-queue.ts';
import type { TocItem } from './contract.ts';

/* The shell's DOM: title, buttons, table of contents, save status, the content frame. No framework. */

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export type NavButton = 'previous' | 'continue' | 'suspendAll' | 'exitAll';

export const shell = {
  frame: () => $<HTMLIFrameElement>('sco'),

  setTitle(title: string) {
    $('title').textContent = title;
    document.title = title;
  },

  message(text: string | null) {
    const m = $('message');
    m.hidden = text === null;
    m.textContent = text ?? '';
    shell.frame().style.visibility = text === null ? 'visible' : 'hidden';
  },

  saveState(state: SaveState, detail?: string) {
    const el = $('save');
    el.dataset.state = state;
    el.textContent =
      state === 'saving'
        ? 'Saving…'
        : state === 'saved'
          ? 'Saved'
          : state === 'retrying'
            ? 'Not saved — retrying'
            : state === 'error'
              ? `Not saved: ${detail ?? 'refused'}`
              : '';
  },

  complete(done: boolean) {
    $('complete').hidden = !done;
  },

  button(name: NavButton, opts: { hidden?: boolean; disabled?: boolean }) {
    const b = $<HTMLButtonElement>(name);
    if (opts.hidden !== undefined) b.hidden = opts.hidden;
    if (opts.disabled !== undefined) b.disabled = opts.disabled;
  },

  onButton(name: NavButton, fn: () => void) {
    $(name).addEventListener('click', fn);
  },

  renderToc(toc: readonly TocItem[], onChoose: (id: string) => void) {
    const nav = $('toc');
    const build = (items: readonly TocItem[]): HTMLUListElement => {
      const ul = document.createElement('ul');
      for (const item of items) {
        if (item.isvisible === false) continue;
        const li = document.createElement('li');
        if (item.launchUrl) {
          const b = document.createElement('button');
          b.type = 'button';
          b.textContent = item.title;
          b.dataset.item = item.id;
          b.addEventListener('click', () => onChoose(item.id));
          li.append(b);
        } else {
          const span = document.createElement('span');
          span.textContent = item.title;
          li.append(span);
        }
        if (item.children?.length) li.append(build(item.children));
        ul.append(li);
      }
      return ul;
    };
    nav.replaceChildren(build(toc));
  },

  showToc(show: boolean) {
    document.body.classList.toggle('single-sco', !show);
  },

  tocItem(id: string, opts: { current?: boolean; disabled?: boolean; status?: string }) {
    const b = document.querySelector<HTMLButtonElement>(`#toc button[data-item="${CSS.escape(id)}"]`);
    if (!b) return;
    if (opts.current !== undefined) b.setAttribute('aria-current', String(opts.current));
    if (opts.disabled !== undefined) b.disabled = opts.disabled;
    if (opts.status !== undefined) b.dataset.status = opts.status;
  },
};
