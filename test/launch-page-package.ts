import { randomBytes } from 'node:crypto';
import { scorm12Manifest } from './packages.ts';
import { buildZip, type ZipFileSpec } from './zip-builder.ts';

/*
 * A SCORM 1.2 package whose launch page (sco0/index.html) loads a stylesheet, a script, an image, a
 * background image named only in the CSS, and a JSON file the script fetches, next to many files it
 * never names: other SCOs' pages, a large video, unused scripts and images. A browser test loads the
 * launch page and checks that only the first group is fetched.
 */

// 1×1 transparent PNG: the page checks the image decoded, so it must be a real one.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

const LAUNCH_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Introduction</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="../shared/course.css">
<script src="../shared/course.js" defer></script>
</head><body><h1>Introduction</h1><img id="logo" src="../shared/img/logo.png" alt="logo">
<div id="hero"></div><p id="status">loading</p></body></html>`;

const STYLESHEET = `#hero { width: 10px; height: 10px; background-image: url("img/hero.png"); }
h1 { color: rgb(1, 2, 3); }`;

const SCRIPT = `fetch('../data/questions.json').then(function (r) { return r.json(); }).then(function (q) {
  document.getElementById('status').textContent = 'ready:' + q.questions.length;
});`;

/** Paths (relative to the package root) the launch page needs, so the only ones a browser should fetch. */
export const LAUNCH_PAGE_FILES = [
  'sco0/index.html',
  'shared/course.css',
  'shared/course.js',
  'shared/img/logo.png',
  'shared/img/hero.png',
  'data/questions.json',
];

export const LAUNCH_PAGE_VIDEO_BYTES = 8 * 1024 * 1024;

export async function launchPagePackage(): Promise<Buffer> {
  const scos = ['Introduction', 'Fire safety', 'Evacuation', 'First aid'];
  const files: ZipFileSpec[] = [
    { path: 'imsmanifest.xml', data: scorm12Manifest(scos, 'Lazy loading') },
    { path: 'sco0/index.html', data: LAUNCH_PAGE },
    { path: 'shared/course.css', data: STYLESHEET },
    { path: 'shared/course.js', data: SCRIPT },
    { path: 'shared/img/logo.png', data: PNG },
    { path: 'shared/img/hero.png', data: PNG },
    { path: 'data/questions.json', data: JSON.stringify({ questions: [1, 2, 3] }) },
    // Everything below is in the package but not needed by the launch page.
    { path: 'shared/unused.js', data: 'throw new Error("never loaded");' },
    { path: 'shared/img/unused.png', data: PNG },
    { path: 'data/answers.json', data: '{}' },
    // Random bytes, stored: a real video does not compress either.
    { path: 'media/lecture.mp4', data: randomBytes(LAUNCH_PAGE_VIDEO_BYTES), compress: false },
  ];
  for (const [i, title] of scos.entries()) {
    if (i === 0) continue;
    files.push({
      path: `sco${i}/index.html`,
      data: `<!doctype html><title>${title}</title><video src="../media/lecture.mp4"></video>`,
    });
  }
  for (let i = 0; i < 200; i++) files.push({ path: `assets/slide-${i}.png`, data: PNG });
  return buildZip(files);
}
