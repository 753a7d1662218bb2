// A segmented control (.seg in wallmap.css): buttons with data-value, the
// one equal to state[key] checked, as a radio group. Shared by the wall map
// and the editor.

// bindSegment wires box: a click on another button sets state[key] and
// calls onChange. It returns paint, to call when state[key] changes
// otherwise.
export function bindSegment(box, state, key, onChange) {
  const paint = () => {
    for (const b of box.querySelectorAll('button')) {
      b.setAttribute('role', 'radio');
      b.setAttribute('aria-checked', String(b.dataset.value === state[key]));
    }
  };
  box.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b || b.dataset.value === state[key]) return;
    state[key] = b.dataset.value;
    paint();
    onChange();
  });
  paint();
  return paint;
}
