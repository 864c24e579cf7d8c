// Texts the server sent in the page's language, filled in the browser. Shared by the bundles
// (frontend/<name>/index.js); this folder has no index.js, so it is no bundle of its own.

// "{name}" placeholders filled from `values`; unknown ones stay as they are.
export function format(text, values) {
  return text.replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
}

// A translate service for diagram-js, bpmn-js and dmn-js: the text's translation from `texts`
// (English -> the page's language; the English text when it has none), then its placeholders.
export function translator(texts) {
  return (template, replacements) => {
    const known = Object.prototype.hasOwnProperty.call(texts, template);
    return format(known ? texts[template] : template, replacements || {});
  };
}
