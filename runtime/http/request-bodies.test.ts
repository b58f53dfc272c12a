import { createHash } from 'node:crypto';
import test from 'ava';
import { parseCommitBody } from './request-bodies.ts';

const BODY =
  '{"attemptId":"0b7e3c1a-5a8d-4a51-9a3e-2f4b8c1d9e01","sco":"item_0","seq":3,"terminated":false,' +
  '"cmi":{"location":"p3","suspend_data":"x=1","interactions":{"0":{"id":"q1","result":"correct"}}}}';

test('a commit hash is the SHA-256 of the text as sent, so a retry of the same bytes matches', (t) => {
  const one = parseCommitBody(BODY);
  t.is(one.hash, createHash('sha256').update(BODY).digest('hex'));
  // sendBeacon's text/plain arrives as the same string (or as a Buffer of it).
  t.is(parseCommitBody(Buffer.from(BODY)).hash, one.hash);
  t.deepEqual(one.cmi, JSON.parse(BODY).cmi);
  // Any change of content is another commit.
  t.not(parseCommitBody(BODY.replace('"p3"', '"p4"')).hash, one.hash);
});

test('a commit given as an object is hashed as its JSON text', (t) => {
  const body = JSON.parse(BODY);
  t.is(parseCommitBody(body).hash, createHash('sha256').update(JSON.stringify(body)).digest('hex'));
});
