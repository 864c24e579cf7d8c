// New dossier page: nominee rows added and removed without reloading, the fields of each row's
// kind and of the chosen procedure, and files checked before a long upload the server would
// refuse anyway. Without this script the form still works: every field shows, one row.
(function () {
  'use strict';

  const form = document.getElementById('new-dossier');
  const template = document.getElementById('nominee-template');
  if (!form || !template) { return; }
  const list = form.querySelector('[data-nominee-list]');
  const addButton = form.querySelector('[data-add-row]');
  const ROW_PREFIX = /nominees-(?:\d+|__index__)-/g;
  const LINKED = ['name', 'id', 'for', 'aria-describedby', 'aria-labelledby'];
  const ACCEPTED = ['.pdf', '.doc', '.docx', '.png', '.jpg', '.jpeg'];
  const maxFile = Number(form.dataset.maxFile) || 0;
  const maxTotal = Number(form.dataset.maxTotal) || 0;

  function rows() { return Array.prototype.slice.call(list.querySelectorAll('[data-nominee-row]')); }

  // Names, ids and the labels/descriptions that point at them follow the row's position, so that
  // the server reads nominees-0-…, nominees-1-… in the order shown.
  function renumber() {
    const all = rows();
    all.forEach(function (row, index) {
      const prefix = 'nominees-' + index + '-';
      [row].concat(Array.prototype.slice.call(row.querySelectorAll('*'))).forEach(function (el) {
        LINKED.forEach(function (attr) {
          const value = el.getAttribute(attr);
          if (value && value.indexOf('nominees-') !== -1) {
            el.setAttribute(attr, value.replace(ROW_PREFIX, prefix));
          }
        });
      });
      row.querySelector('[data-row-number]').textContent = String(index + 1);
      row.querySelector('[data-remove-row]').disabled = all.length === 1;
    });
  }

  // A collective has no gender, birth date, category or posthumous award.
  function showKind(row) {
    const kind = row.querySelector('select[name$="-kind"]');
    const individual = row.querySelector('[data-individual-only]');
    if (kind && individual) { individual.hidden = kind.value === 'collective'; }
    const collective = row.querySelector('[data-collective-only]');
    if (kind && collective) { collective.hidden = kind.value !== 'collective'; }
  }

  function showProcedure() {
    const chosen = form.querySelector('input[name="procedure"]:checked');
    const reason = form.querySelector('[data-simplified-only]');
    if (reason) { reason.hidden = !chosen || chosen.value !== 'simplified'; }
  }

  function clientMessage(input, text) {
    const id = input.id + '-client';
    let box = document.getElementById(id);
    const described = (input.getAttribute('aria-describedby') || '').split(' ').filter(function (x) {
      return x && x !== id;
    });
    if (!text) {
      if (box) { box.remove(); }
      const serverError = Boolean(document.getElementById(input.id + '-error'));
      input.classList.toggle('is-invalid', serverError);
      if (!serverError) { input.removeAttribute('aria-invalid'); }
      input.setAttribute('aria-describedby', described.join(' '));
      return;
    }
    if (!box) {
      box = document.createElement('div');
      box.className = 'invalid-feedback d-block';
      box.id = id;
      input.after(box);
    }
    box.textContent = text;
    input.classList.add('is-invalid');
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', described.concat([id]).join(' '));
  }

  // The server's words about a file (refused, or "choose it again") were about the old choice.
  function forgetServerMessages(input) {
    ['-error', '-again'].forEach(function (suffix) {
      const box = document.getElementById(input.id + suffix);
      if (box) { box.remove(); }
    });
    const described = (input.getAttribute('aria-describedby') || '').split(' ').filter(function (x) {
      return x && document.getElementById(x);
    });
    input.setAttribute('aria-describedby', described.join(' '));
    input.removeAttribute('aria-invalid');
    input.classList.remove('is-invalid');
  }

  function fileProblem(input) {
    const file = input.files && input.files[0];
    if (!file) { return ''; }
    const dot = file.name.lastIndexOf('.');
    const extension = dot === -1 ? '' : file.name.slice(dot).toLowerCase();
    if (ACCEPTED.indexOf(extension) === -1) { return form.dataset.msgFileType; }
    if (maxFile && file.size > maxFile) { return form.dataset.msgTooLarge; }
    return '';
  }

  function fileInputs() { return Array.prototype.slice.call(list.querySelectorAll('input[type="file"]')); }

  function totalTooLarge() {
    // Only files that pass on their own count: a file too large by itself has its own message,
    // and "save the draft with some of the files" makes sense only when there are several.
    const sizes = fileInputs().filter(function (input) {
      return input.files && input.files[0] && !(maxFile && input.files[0].size > maxFile);
    }).map(function (input) { return input.files[0].size; });
    const total = sizes.reduce(function (sum, size) { return sum + size; }, 0);
    const tooLarge = Boolean(maxTotal) && sizes.length > 1 && total > maxTotal;
    document.getElementById('files-too-large').hidden = !tooLarge;
    return tooLarge;
  }

  addButton.addEventListener('click', function () {
    const fragment = template.content.cloneNode(true);
    const row = fragment.querySelector('[data-nominee-row]');
    list.appendChild(fragment);
    renumber();
    showKind(row);
    row.querySelector('select, input:not([type=hidden]), textarea').focus();
  });

  list.addEventListener('click', function (event) {
    const remove = event.target.closest('[data-remove-row]');
    if (!remove || rows().length === 1) { return; }
    const row = remove.closest('[data-nominee-row]');
    const index = rows().indexOf(row);
    row.remove();
    renumber();
    totalTooLarge();
    // Keep the keyboard where the removed row was: the row that took its place, or "Add".
    const next = rows()[index];
    if (next) { next.querySelector('h3').focus(); } else { addButton.focus(); }
  });

  // The row's heading names its nominee ("Nominee 2 — Nguyễn Thị Hằng") as the name is typed.
  function showName(row) {
    const name = row.querySelector('input[name$="-name"]');
    const label = row.querySelector('[data-row-name]');
    if (name && label) { label.textContent = name.value.trim() ? ' — ' + name.value.trim() : ''; }
  }

  list.addEventListener('input', function (event) {
    if (event.target.matches('input[name$="-name"]')) { showName(event.target.closest('[data-nominee-row]')); }
  });

  list.addEventListener('change', function (event) {
    const target = event.target;
    if (target.matches('select[name$="-kind"]')) { showKind(target.closest('[data-nominee-row]')); }
    if (target.matches('input[type="file"]')) {
      forgetServerMessages(target);
      clientMessage(target, fileProblem(target));
      totalTooLarge();
    }
  });

  form.querySelectorAll('input[name="procedure"]').forEach(function (radio) {
    radio.addEventListener('change', showProcedure);
  });

  form.addEventListener('submit', function (event) {
    const bad = fileInputs().filter(function (input) {
      const problem = fileProblem(input);
      clientMessage(input, problem);
      return Boolean(problem);
    });
    if (bad.length || totalTooLarge()) {
      event.preventDefault();
      (bad[0] || document.getElementById('files-too-large')).focus();
      return;
    }
    // One click, one dossier: the buttons are disabled while the form is sent. The chosen
    // button's value is copied first, as a disabled button sends nothing.
    const submitter = event.submitter;
    if (submitter && submitter.name) {
      const chosen = document.createElement('input');
      chosen.type = 'hidden';
      chosen.name = submitter.name;
      chosen.value = submitter.value;
      form.appendChild(chosen);
    }
    window.setTimeout(function () {
      form.querySelectorAll('button[type="submit"]').forEach(function (button) { button.disabled = true; });
    }, 0);
  });

  // Back to this page from the browser's history: the buttons work again.
  window.addEventListener('pageshow', function () {
    form.querySelectorAll('button[type="submit"]').forEach(function (button) { button.disabled = false; });
    form.querySelectorAll('input[type="hidden"][name="action"]').forEach(function (el) { el.remove(); });
  });

  rows().forEach(showKind);
  showProcedure();
  renumber();
  const summary = document.getElementById('form-errors');
  if (summary) { summary.focus(); }
}());
