// "Add a row" / "Remove" for lists of rows (FieldList): clone the last row and renumber names.
(function () {
  'use strict';

  function renumber(list) {
    const rows = list.querySelectorAll('[data-row]');
    rows.forEach(function (row, index) {
      row.querySelectorAll('[name], [id], [for]').forEach(function (el) {
        ['name', 'id', 'for'].forEach(function (attr) {
          const value = el.getAttribute(attr);
          if (value) {
            el.setAttribute(attr, value.replace(/-\d+-/, '-' + index + '-'));
          }
        });
      });
      const number = row.querySelector('[data-row-number]');
      if (number) { number.textContent = String(index + 1); }
      const remove = row.querySelector('[data-remove-row]');
      if (remove) { remove.disabled = rows.length === 1; }
    });
  }

  function clear(row) {
    row.querySelectorAll('input, textarea, select').forEach(function (el) {
      if (el.type === 'checkbox' || el.type === 'radio') { el.checked = false; }
      else if (el.tagName === 'SELECT') { el.selectedIndex = 0; }
      else { el.value = ''; }
      el.classList.remove('is-invalid');
    });
    row.querySelectorAll('.invalid-feedback').forEach(function (el) { el.remove(); });
  }

  document.querySelectorAll('[data-row-list]').forEach(function (list) {
    list.addEventListener('click', function (event) {
      const add = event.target.closest('[data-add-row]');
      const remove = event.target.closest('[data-remove-row]');
      if (add) {
        const rows = list.querySelectorAll('[data-row]');
        const copy = rows[rows.length - 1].cloneNode(true);
        clear(copy);
        rows[rows.length - 1].after(copy);
        renumber(list);
        const first = copy.querySelector('input:not([type=hidden]), textarea, select');
        if (first) { first.focus(); }
      } else if (remove && list.querySelectorAll('[data-row]').length > 1) {
        remove.closest('[data-row]').remove();
        renumber(list);
      }
    });
    renumber(list);
  });
}());
