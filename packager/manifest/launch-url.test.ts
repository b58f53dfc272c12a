import test from 'ava';
import { applyParameters, resolveHref } from './launch-url.ts';

test('hrefs resolve against the xml:base chain, outermost first', (t) => {
  t.deepEqual(resolveHref(['content/', 'module1/', 'lesson/'], 'index.html'), {
    kind: 'package',
    path: 'content/module1/lesson/index.html',
    href: 'content/module1/lesson/index.html',
  });
  t.deepEqual(resolveHref(['', '', ''], 'a/b.html'), { kind: 'package', path: 'a/b.html', href: 'a/b.html' });
  // A base without a trailing slash still names a folder.
  t.is((resolveHref(['course'], 'start.html') as { path: string }).path, 'course/start.html');
  // An absolute-path base restarts from the package root.
  t.is((resolveHref(['content/', '/shared/'], 'x.js') as { path: string }).path, 'shared/x.js');
});

test('percent-encoding is decoded for the archive path and kept for the launch URL', (t) => {
  t.deepEqual(resolveHref([], 'My%20Course/start%20here.html?lang=fr#p2'), {
    kind: 'package',
    path: 'My Course/start here.html',
    href: 'My%20Course/start%20here.html?lang=fr#p2',
  });
  const spaced = resolveHref([], 'My Course/index.html');
  t.is((spaced as { path: string }).path, 'My Course/index.html');
  t.is((resolveHref([], 'dir\\page.html') as { path: string }).path, 'dir/page.html');
});

test('absolute URLs are external, and ".." above the root is outside', (t) => {
  t.deepEqual(resolveHref([], 'https://cdn.example.com/a.html'), {
    kind: 'external',
    href: 'https://cdn.example.com/a.html',
  });
  t.is(resolveHref(['https://cdn.example.com/course/'], 'a.html').kind, 'external');
  t.is(resolveHref([], '../../etc/passwd').kind, 'outside');
  t.is(resolveHref(['a/'], '../b.html').kind, 'package');
});

test('parameters follow the SCORM CAM rules', (t) => {
  t.is(applyParameters('quiz.html', '?questions=Playing'), 'quiz.html?questions=Playing');
  t.is(applyParameters('quiz.html', 'questions=Playing'), 'quiz.html?questions=Playing');
  t.is(applyParameters('quiz.html?mode=a', '&questions=Playing'), 'quiz.html?mode=a&questions=Playing');
  t.is(applyParameters('quiz.html?mode=a', '?&b=2'), 'quiz.html?mode=a&b=2');
  t.is(applyParameters('quiz.html?', 'b=2'), 'quiz.html?b=2');
  t.is(applyParameters('page.html', '#chapter2'), 'page.html#chapter2');
  t.is(applyParameters('page.html#intro', '#chapter2'), 'page.html#intro');
  t.is(applyParameters('page.html#intro', 'x=1'), 'page.html?x=1#intro');
  t.is(applyParameters('page.html', 'x=1#top'), 'page.html?x=1#top');
  t.is(applyParameters('page.html', undefined), 'page.html');
  t.is(applyParameters('page.html', '  '), 'page.html');
});
