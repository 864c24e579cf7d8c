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
