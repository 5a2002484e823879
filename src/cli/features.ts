// `tsrun features`: the features document as JSON on stdout (indented like
// runc's, with a trailing newline). The claims live in src/spec/features.ts.
import { featuresDocument } from '../spec/features.js';
import { commandMain } from './command.js';
import { writeOut } from './output.js';

declare const TSRUN_VERSION: string;
declare const TSRUN_COMMIT: string;

export const main = commandMain('features', () => {
  writeOut(JSON.stringify(featuresDocument(TSRUN_VERSION, TSRUN_COMMIT), null, 4) + '\n');
});
