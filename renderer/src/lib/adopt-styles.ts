/**
 * xterm.js writes its layout and theme rules into `<style>` elements it
 * creates, which the app's CSP (`style-src 'self'`, no inline styles) does
 * not apply. Rather than loosen the CSP, the rules of every `<style>` that
 * appears under `root` are mirrored into constructed stylesheets
 * (`document.adoptedStyleSheets`, which is CSSOM, like `element.style`),
 * and kept in step when xterm rewrites them (resize, theme).
 */
export function adoptInlineStyles(root: HTMLElement): () => void {
  const sheets = new Map<HTMLStyleElement, CSSStyleSheet>();
  const sync = (el: HTMLStyleElement) => {
    let sheet = sheets.get(el);
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheets.set(el, sheet);
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    }
    sheet.replaceSync(el.textContent ?? '');
  };
  const drop = (el: HTMLStyleElement) => {
    const sheet = sheets.get(el);
    if (!sheet) return;
    sheets.delete(el);
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
  };
  const styleOf = (n: Node | null): HTMLStyleElement | null => {
    for (let x: Node | null = n; x && x !== root; x = x.parentNode) if (x instanceof HTMLStyleElement) return x;
    return null;
  };
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (n instanceof HTMLStyleElement) sync(n);
        else if (n instanceof Element) n.querySelectorAll('style').forEach(sync);
        else { const s = styleOf(n); if (s) sync(s); }
      }
      for (const n of r.removedNodes) {
        if (n instanceof HTMLStyleElement) drop(n);
        else if (n instanceof Element) n.querySelectorAll('style').forEach(drop);
      }
      const s = styleOf(r.target);
      if (s && s.isConnected) sync(s);
    }
  });
  observer.observe(root, { childList: true, subtree: true, characterData: true });
  return () => {
    observer.disconnect();
    for (const el of [...sheets.keys()]) drop(el);
  };
}
