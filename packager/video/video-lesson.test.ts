import { readFile } from 'node:fs/promises';
import test from 'ava';
import { buildVideoLessonHtml, hlsJsPath } from './video-lesson.ts';
import { VIDEO_TRACKING_JS } from './video-statements.ts';

function configOf(html: string): Record<string, unknown> {
  const m = /<script type="application\/json" id="crest-video-config">(.*?)<\/script>/s.exec(html);
  return JSON.parse(m![1]!);
}

test('hlsJsPath resolves the hls.js build the lesson loads', async (t) => {
  const file = hlsJsPath();
  t.regex(file, /node_modules\/hls\.js\/dist\/hls\.min\.js$/);
  const text = await readFile(file, 'utf8');
  t.true(text.length > 100_000);
  t.true(text.includes('Hls'));
});

test('the lesson page carries its config, hls.js, the tracking code and an MP4 fallback link', (t) => {
  const html = buildVideoLessonHtml({ title: 'Welcome', durationSeconds: 12.3456 });
  t.true(html.startsWith('<!doctype html>'));
  t.deepEqual(configOf(html), {
    title: 'Welcome',
    language: 'und',
    hlsSrc: 'hls/master.m3u8',
    mp4Src: 'original.mp4',
    completionThreshold: 0.95,
    durationSeconds: 12.346,
  });
  t.true(html.includes('<script src="./hls.min.js"></script>'));
  t.true(html.includes(VIDEO_TRACKING_JS), 'the tested tracking code, verbatim');
  t.true(html.includes('<a href="original.mp4">'));
  t.true(html.includes('playsinline'));
});

test('a hostile title cannot break out of the page', (t) => {
  const title = '</script><script>alert(1)</script> & "quotes"';
  const html = buildVideoLessonHtml({ title, completionThreshold: 0.8 });
  t.false(html.includes('<script>alert(1)'));
  t.true(
    html.includes(
      '<title>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;</title>',
    ),
  );
  t.is(configOf(html).title, title, 'JSON escapes "<" as \\u003c and reads back the same');
  t.is(configOf(html).completionThreshold, 0.8);
});

test('options are checked', (t) => {
  t.throws(() => buildVideoLessonHtml({ title: 'x', completionThreshold: 0 }), {
    message: /completionThreshold/,
  });
  t.throws(() => buildVideoLessonHtml({ title: 'x', completionThreshold: 1.5 }), {
    message: /completionThreshold/,
  });
  t.notThrows(() => buildVideoLessonHtml({ title: 'x', completionThreshold: 1 }));
  t.throws(() => buildVideoLessonHtml({ title: 'x', hlsSrc: 'https://evil.example/master.m3u8' }), {
    message: /relative path/,
  });
  t.throws(() => buildVideoLessonHtml({ title: 'x', mp4Src: '../other/v1/original.mp4' }), {
    message: /relative path/,
  });
});
