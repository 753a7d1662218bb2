// The desk's keyboard: which key does what, given where the focus is.
// Pure: it reads a key event's fields, the page does the rest.
//
//   j / ↓  next case        k / ↑  previous case     Enter  open the case
//   1–9    the n-th action the role may take now      Esc    close the form
//   /      the filters                                 ?      the key help

// keyAction returns what key event e means: {type: 'move', delta},
// {type: 'open'}, {type: 'action', index}, {type: 'close'}, {type:
// 'filters'}, {type: 'help'}, or null (the browser's own). ctx.typing: the
// focus is in a text field or select; ctx.form: a step's form is open;
// ctx.photo: a photo is shown large; ctx.actions: how many actions there
// are.
export function keyAction(e, ctx) {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === 'Escape') return ctx.form || ctx.typing || ctx.photo ? { type: 'close' } : null;
  if (ctx.typing) return null;
  switch (e.key) {
    case 'j':
    case 'ArrowDown':
      return { type: 'move', delta: 1 };
    case 'k':
    case 'ArrowUp':
      return { type: 'move', delta: -1 };
    case 'PageDown':
      return { type: 'move', delta: 10 };
    case 'PageUp':
      return { type: 'move', delta: -10 };
    case 'Enter':
      return ctx.onButton ? null : { type: 'open' };
    case '/':
      return { type: 'filters' };
    case '?':
      return { type: 'help' };
  }
  if (/^[1-9]$/.test(e.key)) {
    const index = Number(e.key) - 1;
    return index < (ctx.actions ?? 0) ? { type: 'action', index } : null;
  }
  return null;
}
