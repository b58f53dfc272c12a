import { readFileSync } from 'node:fs';
import test from 'ava';
import { SERVE_NODE_FLAGS } from './node-flags.ts';

test('npm start starts crest serve with the flags the bench measured it with', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  t.is(pkg.scripts.start, `node ${SERVE_NODE_FLAGS.join(' ')} bin/crest.js serve`);
});
