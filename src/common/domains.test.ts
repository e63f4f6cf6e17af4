import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSameClasses, domainsFromPaths, DomainsLayoutError, sampleItems, splitSource } from './domains';
import { listDomainsFolder, loadDomainImage } from '../data/domains-folder';
import { writeDomainsFixture } from '../testing/domains-fixture';
import { SHAPES } from '../data/style-world';
import { encodePng } from '../data/image-file';

const paths = (spec: Record<string, Record<string, number>>) =>
  Object.entries(spec).flatMap(([d, cs]) => Object.entries(cs).flatMap(([c, n]) => Array.from({ length: n }, (_, i) => `${d}/${c}/${i}.jpg`)));

test('domainsFromPaths: domains, classes and labels from domain/class/image paths', () => {
  const l = domainsFromPaths([...paths({ sketch: { dog: 2, cat: 1 }, photo: { cat: 3, dog: 2 } }), 'README.txt', 'photo/.DS_Store', 'photo/dog/.hidden.jpg']);
  assert.deepEqual(l.domains, ['photo', 'sketch']);
  assert.deepEqual(l.classes, ['cat', 'dog']);
  assert.equal(l.items.photo!.length, 5);
  assert.deepEqual(l.items.sketch!.map((i) => i.label), [0, 1, 1]);
  assert.equal(l.items.sketch![0]!.path, 'sketch/cat/0.jpg');
});

test('domainsFromPaths: bad layouts are refused with what was found and what was expected', () => {
  const err = (p: string[], re: RegExp) => assert.throws(() => domainsFromPaths(p, 'my-folder'), (e: Error) => e instanceof DomainsLayoutError && re.test(e.message));
  err([], /my-folder is not a domains folder: found nothing; expected DIR\/<domain>\/<class>\/<image>/);
  err(['a.jpg', 'b.png'], /found images at other depths \(a\.jpg, b\.png\)/);
  err(['notes.txt'], /no images among notes\.txt/);
  err([...paths({ photo: { dog: 1, cat: 1 } }), 'photo/stray.jpg'], /1 image\(s\) are not at <domain>\/<class>\/<image> \(photo\/stray\.jpg\)/);
  err(paths({ photo: { dog: 1, cat: 1 }, sketch: { dog: 1, horse: 1 } }), /do not share their classes \(photo lacks horse; sketch lacks cat\)/);
  err(paths({ photo: { dog: 3 }, sketch: { dog: 2 } }), /found one class \(dog\)/);
});

test('checkSameClasses: an extra test folder must have the training folder\'s classes', () => {
  const a = domainsFromPaths(paths({ photo: { dog: 1, cat: 1 } }));
  const b = domainsFromPaths(paths({ clipart: { dog: 1, cow: 1 } }));
  assert.throws(() => checkSameClasses(a, b, 'extra'), /extra has the classes cow, dog; the training folder has cat, dog/);
  assert.doesNotThrow(() => checkSameClasses(a, domainsFromPaths(paths({ quickdraw: { cat: 1, dog: 4 } })), 'x'));
});

test('splitSource: a seeded fifth of each class is source-val; same seed, same split; disjoint and complete', () => {
  const items = domainsFromPaths(paths({ photo: { a: 10, b: 25 } })).items.photo!;
  const s1 = splitSource(items, 7), s2 = splitSource(items, 7), s3 = splitSource(items, 8);
  assert.deepEqual(s1, s2);
  assert.notDeepEqual(s1.val, s3.val);
  assert.equal(s1.val.filter((i) => i.label === 0).length, 2);
  assert.equal(s1.val.filter((i) => i.label === 1).length, 5);
  const all = [...s1.train, ...s1.val].map((i) => i.path).sort();
  assert.deepEqual(all, items.map((i) => i.path).sort());
});

test('sampleItems: at most n, seeded, all when n is 0 or larger than the set', () => {
  const items = domainsFromPaths(paths({ photo: { a: 30, b: 30 } })).items.photo!;
  assert.equal(sampleItems(items, 0, 1).length, 60);
  assert.equal(sampleItems(items, 100, 1).length, 60);
  const s = sampleItems(items, 10, 1);
  assert.equal(s.length, 10);
  assert.deepEqual(s, sampleItems(items, 10, 1));
  assert.equal(new Set(s.map((i) => i.path)).size, 10);
});

test('listDomainsFolder and loadDomainImage on a drawn fixture; unreadable and tiny images are named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'advbn-domains-'));
  try {
    writeDomainsFixture(dir, 2);
    const l = listDomainsFolder(dir);
    assert.deepEqual(l.domains, ['neon', 'photo', 'sketch']);
    assert.equal(l.classes.length, SHAPES.length);
    const img = loadDomainImage(dir, l.items.photo![0]!, 32);
    assert.deepEqual(img.shape, [32, 32, 3]);
    const v = img.dataSync();
    img.dispose();
    assert.ok(Math.min(...v) >= 0 && Math.max(...v) <= 1);
    writeFileSync(join(dir, 'photo', l.classes[0]!, 'broken.jpg'), 'not a jpeg');
    const broken = listDomainsFolder(dir).items.photo!.find((i) => i.path.endsWith('broken.jpg'))!;
    assert.throws(() => loadDomainImage(dir, broken, 32), /broken\.jpg: not a JPEG or PNG image/);
    writeFileSync(join(dir, 'photo', l.classes[0]!, 'tiny.png'), encodePng({ data: new Uint8Array(8 * 8 * 4).fill(200), width: 8, height: 8 }));
    const tiny = listDomainsFolder(dir).items.photo!.find((i) => i.path.endsWith('tiny.png'))!;
    assert.throws(() => loadDomainImage(dir, tiny, 32), /tiny\.png is 8×8 px; images must be at least 32 px on each side/);
    assert.throws(() => listDomainsFolder(join(dir, 'nope')), /does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
