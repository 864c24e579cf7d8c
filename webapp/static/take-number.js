// "Lấy số": beside a step's submission-number field, a button that takes the dossier's number
// from the register (the server issues it once per dossier) and fills the field with it.
(function () {
  'use strict';
  const config = document.getElementById('take-number');
  if (!config) { return; }
  const input = document.getElementById(config.dataset.field);
  const form = document.getElementById('step-form');
  if (!input || !form) { return; }

  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'btn btn-sm btn-outline-primary mt-2';
  button.id = 'take-number-button';
  button.textContent = config.dataset.label;
  const status = document.createElement('div');
  status.className = 'small mt-1';
  status.id = 'take-number-status';
  status.setAttribute('role', 'status');
  input.insertAdjacentElement('afterend', status);
  input.insertAdjacentElement('afterend', button);

  button.addEventListener('click', function () {
    const body = new FormData();
    body.append('csrf_token', form.elements.namedItem('csrf_token').value);
    button.disabled = true;
    status.textContent = config.dataset.busy;
    fetch(config.dataset.url, { method: 'POST', body: body, credentials: 'same-origin' })
      .then(function (response) {
        return response.json().then(function (json) { return { ok: response.ok, json: json }; });
      })
      .then(function (answer) {
        if (!answer.ok) {
          status.textContent = (answer.json.error && answer.json.error.message) || config.dataset.failed;
          button.disabled = false;
          return;
        }
        input.value = answer.json.number;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        status.textContent = config.dataset.taken.replace('{number}', answer.json.number);
      })
      .catch(function () {
        status.textContent = config.dataset.failed;
        button.disabled = false;
      });
  });
}());
