// Tracking list: leave empty filters out of the URL, so that a filtered list's address stays
// short enough to read, bookmark and send to a colleague (?status=returned, not ?q=&status=…).
(function () {
  'use strict';

  var form = document.getElementById('tracking-filters');
  if (!form) { return; }
  form.addEventListener('submit', function () {
    form.querySelectorAll('input[name], select[name]').forEach(function (field) {
      if (!field.value) { field.disabled = true; }
    });
    // Coming back with the browser's Back button shows the form usable again.
    window.setTimeout(function () {
      form.querySelectorAll('[disabled]').forEach(function (field) { field.disabled = false; });
    }, 0);
  });
}());

// Exports: a large file takes a while to write. Fetch it here so the page can say "creating
// the file…" with the size received so far, then hand it to the browser as a download. Without
// JavaScript (or without fetch streams) the links download directly.
(function () {
  'use strict';

  var status = document.getElementById('export-progress');
  var links = document.querySelectorAll('a[data-export]');
  if (!status || !window.fetch || !window.ReadableStream || !links.length) { return; }

  function show(text, tone) {
    status.classList.remove('d-none', 'alert-info', 'alert-success', 'alert-danger');
    status.classList.add('alert-' + tone);
    status.textContent = text;
  }

  function fileName(response, fallback) {
    var header = response.headers.get('Content-Disposition') || '';
    var match = /filename="([^"]+)"/.exec(header);
    return match ? match[1] : fallback;
  }

  links.forEach(function (link) {
    link.addEventListener('click', function (event) {
      event.preventDefault();
      if (status.dataset.busy) { return; }
      status.dataset.busy = '1';
      links.forEach(function (l) { l.classList.add('disabled'); l.setAttribute('aria-disabled', 'true'); });
      var working = status.dataset.working;
      show(working, 'info');
      var received = 0;
      var parts = [];
      fetch(link.href, { credentials: 'same-origin' }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        // A list too long to build at once is sent to the page that has it prepared instead.
        if (response.redirected) { window.location.assign(response.url); return null; }
        var reader = response.body.getReader();
        function pump() {
          return reader.read().then(function (step) {
            if (step.done) { return response; }
            parts.push(step.value);
            received += step.value.length;
            show(working + ' ' + status.dataset.received + ' ' + (received / 1048576).toFixed(1) + ' MB', 'info');
            return pump();
          });
        }
        return pump();
      }).then(function (response) {
        if (!response) { return; }
        var blob = new Blob(parts, { type: response.headers.get('Content-Type') || '' });
        var anchor = document.createElement('a');
        anchor.href = URL.createObjectURL(blob);
        anchor.download = fileName(response, 'export');
        document.body.appendChild(anchor);
        anchor.click();
        anchor.remove();
        window.setTimeout(function () { URL.revokeObjectURL(anchor.href); }, 60000);
        show(status.dataset.done, 'success');
      }).catch(function () {
        show(status.dataset.failed, 'danger');
      }).then(function () {
        delete status.dataset.busy;
        links.forEach(function (l) { l.classList.remove('disabled'); l.removeAttribute('aria-disabled'); });
      });
    });
  });
}());
