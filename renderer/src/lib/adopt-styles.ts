/**
 * xterm.js writes its layout and theme rules into `<style>` elements it
 * creates. The app's CSP (`style-src 'self'`, no inline styles) blocks
 * those, and a blocked `<style>` is reported as a violation every time it
 * changes. Rather than loosen the CSP: while xterm builds its DOM, every
 * `<style>` it asks for is an inert `<xterm-rules>` element instead (never
 * parsed as CSS, hidden by the stylesheet), and the rules xterm writes into
 * it are applied as constructed stylesheets (`document.adoptedStyleSheets`,
 * CSSOM like `element.style`, which the CSP does not govern), kept in step
 * whenever xterm rewrites them (resize, theme).
 */
export const INERT_STYLE_TAG = 'xterm-rules';

const isRules = (n: Node): n is HTMLElement => n instanceof HTMLElement && n.localName === INERT_STYLE_TAG;

/** Run `body` (xterm's `open`) with `document.createElement('style')` giving an inert rules element. */
export function withInertStyleElements<T>(body: () => T): T {
  const original = document.createElement;
  document.createElement = function (this: Document, tag: string, options?: ElementCreationOptions) {
    return original.call(this, tag.toLowerCase() === 'style' ? INERT_STYLE_TAG : tag, options);
  } as typeof document.createElement;
  try {
    return body();
  } finally {
    document.createElement = original;
  }
}

/** Apply the rules of every inert rules element under `root` as constructed stylesheets; returns the undo. */
export function adoptInlineStyles(root: HTMLElement): () => void {
  const sheets = new Map<HTMLElement, CSSStyleSheet>();
  const sync = (el: HTMLElement) => {
    let sheet = sheets.get(el);
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheets.set(el, sheet);
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    }
    sheet.replaceSync(el.textContent ?? '');
  };
  const drop = (el: HTMLElement) => {
    const sheet = sheets.get(el);
    if (!sheet) return;
    sheets.delete(el);
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
  };
  const rulesOf = (n: Node | null): HTMLElement | null => {
    for (let x: Node | null = n; x && x !== root; x = x.parentNode) if (isRules(x)) return x;
    return null;
  };
  const each = (n: Node, f: (el: HTMLElement) => void) => {
    if (isRules(n)) f(n);
    else if (n instanceof Element) n.querySelectorAll(INERT_STYLE_TAG).forEach((el) => f(el as HTMLElement));
  };
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) each(n, sync);
      for (const n of r.removedNodes) each(n, drop);
      const el = rulesOf(r.target);
      if (el?.isConnected) sync(el);
    }
  });
  observer.observe(root, { childList: true, subtree: true, characterData: true });
  return () => {
    observer.disconnect();
    for (const el of [...sheets.keys()]) drop(el);
  };
}
