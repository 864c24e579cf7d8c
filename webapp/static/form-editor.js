// Form editor: while the administrator types a JSON Schema, ask the server (debounced) for the
// form it becomes and show it beside the text, or the reason it is not a usable schema.
(function () {
  'use strict';

  const form = document.getElementById('schema-form');
  const textarea = document.getElementById('schema');
  const preview = document.getElementById('form-preview');
  const message = document.getElementById('schema-message');
  const status = document.getElementById('preview-status');
  const language = document.getElementById('preview-lang');
  const formatButton = document.getElementById('format-json');
  if (!form || !textarea || !preview) { return; }

  const token = form.querySelector('input[name="csrf_token"]').value;
  const url = preview.dataset.previewUrl;
  const DELAY = 400;
  let timer = null;
  let latest = 0;

  function showProblem(text) {
    message.textContent = text || '';
    textarea.classList.toggle('is-invalid', Boolean(text));
    status.textContent = text ? status.dataset.stale : '';
  }

  function update() {
    const request = ++latest;
    const body = new FormData();
    body.append('csrf_token', token);
    body.append('schema', textarea.value);
    body.append('lang', language ? language.value : '');
    preview.setAttribute('aria-busy', 'true');
    fetch(url, { method: 'POST', body: body, credentials: 'same-origin' })
      .then(function (response) {
        if (request !== latest) { return null; }
        if (!response.ok) { showProblem(status.dataset.failed); return null; }
        const type = response.headers.get('Content-Type') || '';
        if (type.indexOf('application/json') === 0) {
          return response.json().then(function (data) {
            if (request === latest) { showProblem(data.error); }
          });
        }
        return response.text().then(function (html) {
          if (request !== latest) { return; }
          preview.innerHTML = html;
          showProblem('');
        });
      })
      .catch(function () {
        if (request === latest) { showProblem(status.dataset.failed); }
      })
      .finally(function () {
        if (request === latest) { preview.removeAttribute('aria-busy'); }
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, DELAY);
  }

  textarea.addEventListener('input', later);
  if (language) { language.addEventListener('change', update); }

  // Pretty-print the JSON (two spaces), when it parses.
  if (formatButton) {
    formatButton.hidden = false;
    formatButton.addEventListener('click', function () {
      try {
        textarea.value = JSON.stringify(JSON.parse(textarea.value), null, 2) + '\n';
        later();
      } catch (error) {
        update();  // the server says why, in the page's language
      }
    });
  }

  // Leaving with unsaved changes asks first.
  const saved = textarea.value;
  let submitting = false;
  form.addEventListener('submit', function () { submitting = true; });
  window.addEventListener('beforeunload', function (event) {
    if (!submitting && textarea.value !== saved) {
      event.preventDefault();
      event.returnValue = '';
    }
  });
})();
